"""Change attribution: rank the deployment log for an incident."""

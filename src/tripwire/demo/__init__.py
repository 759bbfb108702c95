"""`tripwire demo`: a simulated AI product through the whole lifecycle (see `tour`)."""

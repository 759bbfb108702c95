"""Deployment settings (environment) and the validated `tripwire.yaml`."""

"""Notifications: one folder per channel (slack, webhook, email, pagerduty), found through a
registry and the `tripwire.channels` entry points, delivered from the outbox by a worker with
retries, backoff and a stable id per notification."""

"""The pagerduty channel."""

"""The slack channel."""

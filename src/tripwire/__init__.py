"""Tripwire: incident management for AI products."""

__version__ = "0.1.0"

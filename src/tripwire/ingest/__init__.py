"""Ingest: validate, normalise and durably store telemetry, idempotently on the event id."""

"""Respond: incidents (one per real problem and use case), severity rules, roles, on-call
schedules, escalation and paging through the outbox. `IncidentService` is the one way in, for
the pipeline's detectors, people (API, CLI) and alert webhooks alike."""

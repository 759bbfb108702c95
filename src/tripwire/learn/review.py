"""The post-incident review is done only through a completed post-mortem: there is no way to
tick the box without one (API, CLI and UI all come through here or postmortem.complete)."""

from __future__ import annotations

from tripwire.respond.core import Conflict
from tripwire.respond.ids import incident_id
from tripwire.respond.service import IncidentService
from tripwire.store.tables.learn import PostmortemRow
from tripwire.store.tables.respond import IncidentRow


def mark_review_done(
    service: IncidentService, ident: str | int, actor: str, link: str | None = None
) -> IncidentRow:
    """Confirm the review of an incident whose post-mortem is done; Conflict says what to do."""
    incident = service.get(ident)
    name = incident_id(incident.number)
    row = service.session.get(PostmortemRow, incident.number)
    if row is None or row.status != "done":
        state = "has no post-mortem" if row is None else "has a post-mortem that is still a draft"
        raise Conflict(
            f"{name} {state}; the review is marked done only by completing the post-mortem: "
            f"draft it (POST /v1/incidents/{name}/postmortem or `tripwire postmortem draft "
            f"{name}`), write the root cause, add an action item and an eval case, then complete "
            f"it (POST /v1/incidents/{name}/postmortem/complete or `tripwire postmortem complete "
            f"{name}`)"
        )
    if incident.review_done:
        return incident
    return service.mark_review_done(
        incident.number, actor, link or f"/v1/incidents/{name}/postmortem"
    )

"""Blameless post-mortems: drafted from the incident's own record, completed by people.

Completing one requires what the seed asks of every incident: action items, and at least one
evaluation test case so the same failure is caught before it ships again. Completion marks the
incident's post-incident review done, which lets P0/P1 incidents close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripwire.domain.clock import Clock, isoformat_z
from tripwire.learn.blameless import blame_findings
from tripwire.learn.changes import changes_before
from tripwire.respond import queries
from tripwire.respond.ids import incident_id
from tripwire.respond.service import IncidentService
from tripwire.store.tables.learn import ActionItemRow, EvalCaseRow, PostmortemRow
from tripwire.store.tables.respond import IncidentRow

EDITABLE = (
    "summary",
    "impact",
    "root_cause",
    "contributing_factors",
    "what_went_well",
    "what_went_wrong",
    "lessons",
)
KEY_MOMENTS = (
    "opened",
    "signal",
    "page",
    "acknowledged",
    "mitigated",
    "resolved",
    # respond/playbooks/flips.py logs kill switches and other flag changes under these kinds
    "kill_switch",
    "flag_change",
    "severity_changed",
    "rollback",
    "update",
)
FOLLOW_UP_WITHIN = timedelta(hours=48)


class NotReady(ValueError):
    """The post-mortem cannot be completed yet; `reasons` say what is missing."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def draft(session: Session, incident: IncidentRow, clock: Clock, author: str) -> PostmortemRow:
    """The post-mortem of `incident`, drafted from its record on first call."""
    row = session.get(PostmortemRow, incident.number)
    if row is not None:
        return row
    now = clock.now()
    row = PostmortemRow(
        incident=incident.number,
        status="draft",
        sections=_prefill(session, incident),
        author=author,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _prefill(session: Session, incident: IncidentRow) -> dict[str, Any]:
    minutes = (incident.detected_at - incident.started_at).total_seconds() / 60
    moments = [
        {"at": isoformat_z(e.at), "kind": e.kind, "text": e.text}
        for e in queries.timeline(session, incident.number)
        if e.kind in KEY_MOMENTS
    ]
    end = incident.resolved_at or incident.mitigated_at
    return {
        "summary": incident.title,
        "impact": (
            f"{incident.exposed_users} people and {incident.exposed_outputs} outputs exposed "
            f"in {incident.use_case or 'every use case'}"
            + (f", from {isoformat_z(incident.started_at)} to {isoformat_z(end)}." if end else ".")
        ),
        "detection": {
            "minutes_from_onset_to_detection": round(minutes, 1),
            "detected_by": incident.source,
        },
        "timeline": moments,
        "root_cause": "",
        "changes_examined": changes_before(session, incident.use_case, incident.detected_at),
        "suspects": list(incident.suspects or []),
        "contributing_factors": [],
        "what_went_well": "",
        "what_went_wrong": "",
        "lessons": "",
        "follow_up_due": isoformat_z(end + FOLLOW_UP_WITHIN) if end else None,
    }


def edit(row: PostmortemRow, changes: dict[str, Any], clock: Clock) -> PostmortemRow:
    """Update the editable sections; other keys are refused."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    row.sections = {**row.sections, **changes}
    row.updated_at = clock.now()
    return row


def complete(
    session: Session, service: IncidentService, row: PostmortemRow, actor: str
) -> PostmortemRow:
    """Mark the post-mortem done, or raise NotReady with everything that is missing."""
    reasons = [f.message for f in blame_findings(row.sections)]
    if not str(row.sections.get("root_cause") or "").strip():
        reasons.append(
            "root_cause: say which model, data or prompt change (or what else) caused it"
        )
    if _count(session, ActionItemRow, row.incident) == 0:
        reasons.append("add at least one action item (what changes so it does not happen again)")
    if _count(session, EvalCaseRow, row.incident) == 0:
        reasons.append("add at least one evaluation test case: every incident adds one")
    if reasons:
        raise NotReady(reasons)
    row.status = "done"
    row.done_at = service.clock.now()
    row.updated_at = row.done_at
    service.mark_review_done(
        row.incident, actor, link=f"/v1/incidents/{incident_id(row.incident)}/postmortem"
    )
    return row


def add_action_item(
    session: Session,
    incident: int,
    title: str,
    kind: str,
    owner: str | None,
    clock: Clock,
    due_days: int | None = None,
    due_at: datetime | None = None,
) -> ActionItemRow:
    now = clock.now()
    item = ActionItemRow(
        incident=incident,
        title=title,
        kind=kind,
        owner=owner,
        due_at=due_at or (now + timedelta(days=due_days) if due_days else None),
        status="open",
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    return item


def action_items(session: Session, incident: int) -> list[ActionItemRow]:
    query = select(ActionItemRow).where(ActionItemRow.incident == incident)
    return list(session.scalars(query.order_by(ActionItemRow.id)))


def _count(session: Session, table: type[ActionItemRow] | type[EvalCaseRow], incident: int) -> int:
    return int(session.scalar(select(func.count()).where(table.incident == incident)) or 0)

"""Reading post-mortems for lists and editors (read-only), and adding an incident's eval case
with its timeline entry (the one rule the API and the UI share)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.clock import Clock
from tripwire.learn import evalcases
from tripwire.learn.blameless import blame_findings
from tripwire.respond.ids import incident_id
from tripwire.respond.service import IncidentService
from tripwire.store.tables.learn import EvalCaseRow, PostmortemRow
from tripwire.store.tables.respond import IncidentRow


@dataclass(frozen=True, slots=True)
class PostmortemListing:
    incident_id: str
    title: str
    severity: str
    status: str
    updated_at: datetime
    done_at: datetime | None


def list_postmortems(session: Session, limit: int = 200) -> list[PostmortemListing]:
    """Post-mortems, most recently edited first, with their incident's title and severity."""
    query = (
        select(PostmortemRow, IncidentRow)
        .join(IncidentRow, IncidentRow.number == PostmortemRow.incident)
        .order_by(PostmortemRow.updated_at.desc())
        .limit(limit)
    )
    return [
        PostmortemListing(
            incident_id(p.incident), i.title, i.severity, p.status, p.updated_at, p.done_at
        )
        for p, i in session.execute(query).all()
    ]


def lint_messages(row: PostmortemRow) -> list[str]:
    """The blameless lint's findings on the current text."""
    return [f.message for f in blame_findings(row.sections)]


def add_incident_case(
    session: Session,
    service: IncidentService,
    incident: IncidentRow,
    case: evalcases.CaseIn,
    actor: str,
    clock: Clock,
) -> EvalCaseRow:
    """Store the case and note it on the incident's timeline. Raises evalcases.CaseError."""
    row = evalcases.add_case(session, incident, case, actor, clock)
    service.log(
        incident,
        "eval_case",
        f"Evaluation test case added: {row.description}",
        actor,
        {"eval_case_id": row.id},
    )
    return row

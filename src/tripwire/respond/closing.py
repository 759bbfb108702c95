"""The learning rule on closing: an incident at or above `learn.eval_case_min_severity` closes
only once it has added an evaluation test case, so the same failure is caught before it ships
again. Checked by the service, so the API, the CLI and the UI refuse alike."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripwire.config.learn import LearnConfig
from tripwire.domain.incidents import rank
from tripwire.respond.ids import incident_id
from tripwire.store.tables.learn import EvalCaseRow
from tripwire.store.tables.respond import IncidentRow


def close_refused(session: Session, incident: IncidentRow, config: LearnConfig) -> str | None:
    """None when the incident may close as far as test cases go; otherwise what to do."""
    floor = config.eval_case_min_severity
    if floor is None or rank(incident.severity) > rank(floor):  # type: ignore[arg-type]
        return None
    query = select(func.count()).where(EvalCaseRow.incident == incident.number)
    if int(session.scalar(query) or 0) > 0:
        return None
    ident = incident_id(incident.number)
    return (
        f"{ident} has no evaluation test case; every {floor}-or-worse incident adds one before "
        f"it closes: POST /v1/incidents/{ident}/eval-cases (or the post-mortem page in the UI)"
    )

"""The deployment log around an incident, grouped the way root-cause analysis examines it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tripwire.store.tables.events import EventRow

LOOKBACK = timedelta(days=7)
GROUP = {
    "model_update": "model_changes",
    "data_change": "data_changes",
    "prompt_change": "prompt_changes",
    "infra_change": "infra_changes",
    "config_change": "infra_changes",
}


def changes_before(
    session: Session, use_case: str | None, until: datetime, lookback: timedelta = LOOKBACK
) -> dict[str, list[dict[str, Any]]]:
    """Changes to `use_case` (or to everything) in the week before `until`, newest first,
    grouped into model, data, prompt and infrastructure changes."""
    query = select(EventRow.payload).where(
        EventRow.type == "change", EventRow.ts >= until - lookback, EventRow.ts <= until
    )
    if use_case is not None:
        query = query.where(or_(EventRow.use_case == use_case, EventRow.use_case.is_(None)))
    grouped: dict[str, list[dict[str, Any]]] = {g: [] for g in dict.fromkeys(GROUP.values())}
    for payload in session.scalars(query.order_by(EventRow.ts.desc())):
        grouped[GROUP.get(str(payload.get("kind")), "infra_changes")].append(
            {
                "change_id": payload["id"],
                "ts": payload["ts"],
                "kind": payload.get("kind"),
                "version": payload.get("version"),
                "previous_version": payload.get("previous_version"),
                "description": payload.get("description"),
                "use_case": payload.get("use_case"),
                "eval_gate": payload.get("eval_gate"),
            }
        )
    return grouped


def eval_gate_of(session: Session, change_id: str) -> dict[str, Any] | None:
    """The incident-suite verdict a change event carried (`eval_gate`), if any."""
    payload = session.scalar(
        select(EventRow.payload).where(EventRow.id == change_id, EventRow.type == "change")
    )
    gate = payload.get("eval_gate") if payload else None
    return dict(gate) if isinstance(gate, dict) else None

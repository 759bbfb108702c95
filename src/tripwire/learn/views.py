"""JSON shapes of post-mortems, action items and eval cases (API and CLI alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.learn.action_items import UNFINISHED
from tripwire.learn.evalcases import list_cases
from tripwire.learn.postmortem import action_items
from tripwire.respond.ids import incident_id
from tripwire.store.tables.learn import ActionItemRow, EvalCaseRow, PostmortemRow


def item_json(item: ActionItemRow, now: datetime | None = None) -> dict[str, Any]:
    """`overdue` (unfinished past its due date) when `now` is given."""
    found: dict[str, Any] = {
        "id": item.id,
        "incident_id": incident_id(item.incident),
        "title": item.title,
        "kind": item.kind,
        "owner": item.owner,
        "status": item.status,
        "due_at": _z(item.due_at),
        "created_at": _z(item.created_at),
        "updated_at": _z(item.updated_at),
        "done_at": _z(item.done_at),
        "reminded_at": _z(item.reminded_at),
    }
    if now is not None:
        found["overdue"] = bool(item.due_at and item.due_at <= now and item.status in UNFINISHED)
    return found


def _z(at: datetime | None) -> str | None:
    return isoformat_z(at) if at else None


def case_json(case: EvalCaseRow) -> dict[str, Any]:
    return {
        "id": case.id,
        "incident_id": incident_id(case.incident),
        "description": case.description,
        "source_output_id": case.source_output_id,
        "input": case.input,
        "bad_output": case.bad_output,
        "expected_output": case.expected_output,
        "context": case.context,
        "assertions": case.assertions,
        "created_at": isoformat_z(case.created_at),
        "created_by": case.created_by,
    }


def postmortem_json(session: Session, row: PostmortemRow) -> dict[str, Any]:
    return {
        "incident_id": incident_id(row.incident),
        "status": row.status,
        "author": row.author,
        "sections": row.sections,
        "action_items": [item_json(i) for i in action_items(session, row.incident)],
        "eval_cases": [case_json(c) for c in list_cases(session, row.incident)],
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
        "done_at": isoformat_z(row.done_at) if row.done_at else None,
    }

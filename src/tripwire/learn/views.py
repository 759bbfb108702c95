"""JSON shapes of post-mortems, action items and eval cases (API and CLI alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.learn.evalcases import list_cases
from tripwire.learn.postmortem import action_items
from tripwire.respond.ids import incident_id
from tripwire.store.tables.learn import ActionItemRow, EvalCaseRow, PostmortemRow


def item_json(item: ActionItemRow) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "owner": item.owner,
        "status": item.status,
        "due_at": isoformat_z(item.due_at) if item.due_at else None,
    }


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

"""Reading evidence for playbook steps from the events table: samples of outputs with their
scores, the outputs a safety filter flagged, and who saw them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.store.tables.events import EventRow

MAX_TEXT = 4000  # evidence keeps the exact chain, cut to a readable size


@dataclass(frozen=True, slots=True)
class Flagged:
    """Safety checks that triggered in a window, the outputs and users they reached."""

    checks: int
    triggered: int
    output_ids: list[str]
    users: int
    last_at: datetime | None


def output_ids(
    session: Session, use_case: str | None, start: datetime, end: datetime, limit: int = 50_000
) -> list[str]:
    query = (
        select(EventRow.id)
        .where(
            EventRow.type == "output",
            EventRow.use_case == use_case,
            EventRow.ts >= start,
            EventRow.ts <= end,
        )
        .order_by(EventRow.ts)
        .limit(limit)
    )
    return list(session.scalars(query))


def spread(ids: list[str], size: int) -> list[str]:
    """`size` ids spread evenly over the window, so the sample covers it from start to end."""
    if len(ids) <= size:
        return ids
    step = len(ids) / size
    return [ids[int(i * step)] for i in range(size)]


def outputs_with_scores(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The outputs (text cut to MAX_TEXT) with their scores, in- and out-of-band, in id order."""
    if not ids:
        return []
    rows = session.scalars(select(EventRow).where(EventRow.id.in_(ids)))
    outputs = {r.id: r for r in rows}
    late: dict[str, dict[str, float]] = defaultdict(dict)
    score_query = select(EventRow.output_id, EventRow.payload).where(
        EventRow.type == "score", EventRow.output_id.in_(ids)
    )
    for output_id, payload in session.execute(score_query):
        late[str(output_id)][str(payload.get("name"))] = float(payload.get("value", 0.0))
    return [_evidence(outputs[i], late.get(i, {})) for i in ids if i in outputs]


def _evidence(row: EventRow, late_scores: dict[str, float]) -> dict[str, Any]:
    p = row.payload
    item: dict[str, Any] = {
        "output_id": row.id,
        "ts": isoformat_z(row.ts),
        "model": p.get("model"),
        "model_version": p.get("model_version"),
        "prompt_version": p.get("prompt_version"),
        "user_id": p.get("user_id"),
        "session_id": p.get("session_id"),
        "input": str(p.get("input", ""))[:MAX_TEXT],
        "output": str(p.get("output", ""))[:MAX_TEXT],
        "scores": {**(p.get("scores") or {}), **late_scores},
    }
    if p.get("context") is not None:
        context = p["context"]
        item["context"] = [
            str(c)[:MAX_TEXT] for c in (context if isinstance(context, list) else [context])
        ]
    return {k: v for k, v in item.items() if v is not None}


def flagged(session: Session, use_case: str | None, start: datetime, end: datetime) -> Flagged:
    query = select(EventRow.ts, EventRow.output_id, EventRow.payload["triggered"]).where(
        EventRow.type == "safety",
        EventRow.use_case == use_case,
        EventRow.ts >= start,
        EventRow.ts <= end,
    )
    checks = triggered = 0
    hit_ids: list[str] = []
    last: datetime | None = None
    for ts, output_id, raw in session.execute(query):
        checks += 1
        if raw in (True, 1, "true"):
            triggered += 1
            last = ts if last is None or ts > last else last
            if output_id:
                hit_ids.append(str(output_id))
    return Flagged(checks, triggered, hit_ids, _distinct_users(session, hit_ids), last)


def _distinct_users(session: Session, ids: list[str]) -> int:
    users: set[str] = set()
    for start in range(0, len(ids), 500):
        query = select(EventRow.payload["user_id"].as_string()).where(
            EventRow.id.in_(ids[start : start + 500])
        )
        users.update(u for u in session.scalars(query) if u)
    return len(users)


def lowest_scored(
    session: Session, use_case: str | None, score: str, start: datetime, end: datetime, size: int
) -> tuple[list[str], int]:
    """The `size` outputs with the lowest `score` in the window, and how many scored < 0.5."""
    values: dict[str, float] = {}
    outputs = select(EventRow.id, EventRow.payload["scores"][score].as_float()).where(
        EventRow.type == "output",
        EventRow.use_case == use_case,
        EventRow.ts >= start,
        EventRow.ts <= end,
    )
    for output_id, value in session.execute(outputs):
        if value is not None:
            values[output_id] = float(value)
    scores = select(EventRow.output_id, EventRow.payload["value"].as_float()).where(
        EventRow.type == "score",
        EventRow.use_case == use_case,
        EventRow.ts >= start,
        EventRow.ts <= end,
        EventRow.payload["name"].as_string() == score,
    )
    for output_id, value in session.execute(scores):
        if output_id and value is not None:
            values[str(output_id)] = float(value)
    ranked = sorted(values, key=lambda i: values[i])
    return ranked[:size], sum(1 for v in values.values() if v < 0.5)

"""Reading what attribution needs from the events table: the deployment log and, for each
output of a use case, its versions and the value of the incident's metric."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.domain.events import is_negative_rating
from tripwire.respond.attribution.metrics import MetricSpec
from tripwire.respond.attribution.scoring import ChangeFacts
from tripwire.store.tables.events import EventRow

MAX_OUTPUTS = 200_000


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of the metric, attached to the output (and its versions) it is about."""

    ts: datetime
    dims: tuple[str | None, str | None, str | None]  # prompt_version, model_version, model
    value: float


def load_changes(
    session: Session, use_case: str | None, start: datetime, end: datetime
) -> list[ChangeFacts]:
    """Changes in [start, end] of `use_case` or of every use case (no use_case), oldest first."""
    query = (
        select(EventRow.id, EventRow.ts, EventRow.use_case, EventRow.payload)
        .where(EventRow.type == "change", EventRow.ts >= start, EventRow.ts <= end)
        .order_by(EventRow.ts, EventRow.seq)
    )
    changes: list[ChangeFacts] = []
    for event_id, ts, change_use_case, payload in session.execute(query):
        if change_use_case is not None and change_use_case != use_case:
            continue
        changes.append(
            ChangeFacts(
                id=event_id,
                ts=ts,
                kind=str(payload.get("kind", "")),
                version=str(payload.get("version", "")),
                use_case=change_use_case,
                previous_version=payload.get("previous_version"),
                rollback=payload.get("rollback"),
            )
        )
    return changes


def load_change(session: Session, change_id: str) -> ChangeFacts | None:
    row = session.scalar(select(EventRow).where(EventRow.id == change_id))
    if row is None or row.type != "change":
        return None
    p = row.payload
    return ChangeFacts(
        row.id, row.ts, p.get("kind", ""), p.get("version", ""), row.use_case,
        p.get("previous_version"), p.get("rollback"),
    )  # fmt: skip


def load_observations(
    session: Session, use_case: str | None, spec: MetricSpec, start: datetime, end: datetime
) -> list[Observation]:
    """The metric's values for outputs of `use_case` between start and end. Feedback, checks
    and scores arriving after their output count when they arrived by `end` too."""
    outputs = _outputs(session, use_case, start, end)
    if spec.kind in ("error", "latency"):
        return [obs for obs in (_own_value(spec, o) for o in outputs.values()) if obs is not None]
    if spec.kind == "score":
        return _scores(session, spec.score_name or "quality", use_case, outputs, start, end)
    return _linked(session, spec, use_case, outputs, start, end)


_Output = dict[str, Any]


def _outputs(
    session: Session, use_case: str | None, start: datetime, end: datetime
) -> dict[str, _Output]:
    p = EventRow.payload
    query = (
        select(
            EventRow.id,
            EventRow.ts,
            p["prompt_version"].as_string(),
            p["model_version"].as_string(),
            p["model"].as_string(),
            p["status"].as_string(),
            p["latency_ms"].as_float(),
            p["scores"],
        )
        .where(
            EventRow.type == "output",
            EventRow.use_case == use_case,
            EventRow.ts >= start,
            EventRow.ts <= end,
        )
        .order_by(EventRow.ts.desc())
        .limit(MAX_OUTPUTS)
    )
    return {
        row[0]: {
            "ts": row[1],
            "dims": (row[2], row[3], row[4]),
            "status": row[5],
            "latency": row[6],
            "scores": row[7],
        }
        for row in session.execute(query)
    }


def _own_value(spec: MetricSpec, output: _Output) -> Observation | None:
    if spec.kind == "error":
        value = 0.0 if output["status"] in (None, "ok") else 1.0
    elif output["latency"] is None:
        return None
    else:
        value = float(output["latency"])
    return Observation(output["ts"], output["dims"], value)


def _scores(
    session: Session,
    name: str,
    use_case: str | None,
    outputs: dict[str, _Output],
    start: datetime,
    end: datetime,
) -> list[Observation]:
    late: dict[str, list[float]] = defaultdict(list)
    query = select(EventRow.output_id, EventRow.payload["value"].as_float()).where(
        EventRow.type == "score",
        EventRow.use_case == use_case,
        EventRow.ts >= start,
        EventRow.ts <= end,
        EventRow.payload["name"].as_string() == name,
    )
    for output_id, value in session.execute(query):
        if output_id in outputs and value is not None:
            late[output_id].append(float(value))
    found: list[Observation] = []
    for output_id, output in outputs.items():
        scores = output["scores"] if isinstance(output["scores"], dict) else {}
        values = late.get(output_id) or ([scores[name]] if name in scores else [])
        if values:
            found.append(Observation(output["ts"], output["dims"], sum(values) / len(values)))
    return found


def _linked(
    session: Session,
    spec: MetricSpec,
    use_case: str | None,
    outputs: dict[str, _Output],
    start: datetime,
    end: datetime,
) -> list[Observation]:
    """Feedback ratings or safety checks that name their output."""
    kind = "feedback" if spec.kind == "feedback" else "safety"
    field = "rating" if kind == "feedback" else "triggered"
    query = select(EventRow.output_id, EventRow.payload[field]).where(
        EventRow.type == kind,
        EventRow.use_case == use_case,
        EventRow.ts >= start,
        EventRow.ts <= end,
        EventRow.output_id.is_not(None),
    )
    found: list[Observation] = []
    for output_id, raw in session.execute(query):
        output = outputs.get(output_id)
        if output is None:
            continue
        if kind == "feedback":
            bad = isinstance(raw, str | int) and is_negative_rating(raw)
        else:
            bad = raw in (True, 1, "true")  # SQLite's JSON functions hand back 1 for true
        found.append(Observation(output["ts"], output["dims"], 1.0 if bad else 0.0))
    return found

"""Searching stored outputs and reading what hangs off one (feedback, safety checks, scores,
tickets from the same user). Read-only, newest first, paged by a (ts, seq) cursor.

Every search is bounded by a time range (`since`, `until`) and a page size, and walks the
`(use_case, type, ts)` or `(type, ts)` index; filters on the JSON payload (versions, user, text,
flags, scores) are applied to the rows of that range only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from tripwire.store.tables.events import EventRow

MAX_PAGE = 200
LINKED = ("score", "safety", "feedback")
TEXT_CAP = 4000  # characters of input/output/context shown per output in lists


@dataclass(frozen=True, slots=True)
class OutputFilter:
    """What to look for. Text search is a case-insensitive substring of input or output."""

    since: datetime
    until: datetime
    use_case: str | None = None
    model_version: str | None = None
    prompt_version: str | None = None
    user_id: str | None = None
    text: str | None = None
    flagged: bool = False  # only outputs a safety check triggered on
    score_name: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class FoundOutput:
    """One stored output with what is attached to it."""

    id: str
    seq: int
    ts: datetime
    use_case: str | None
    payload: dict[str, Any]
    scores: dict[str, float] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return any(f.get("triggered") for f in self.flags)


@dataclass(frozen=True, slots=True)
class OutputPage:
    outputs: list[FoundOutput]
    next_cursor: tuple[datetime, int] | None


def _json_text(column: Any, key: str) -> Any:
    return column[key].as_string()


def _query(f: OutputFilter) -> Select[Any]:
    q = select(EventRow).where(
        EventRow.type == "output", EventRow.ts >= f.since, EventRow.ts < f.until
    )
    if f.use_case is not None:
        q = q.where(EventRow.use_case == f.use_case)
    payload = EventRow.payload
    for key, value in (
        ("model_version", f.model_version),
        ("prompt_version", f.prompt_version),
        ("user_id", f.user_id),
        ("status", f.status),
    ):
        if value:
            q = q.where(_json_text(payload, key) == value)
    if f.text:
        needle = f"%{_escape_like(f.text.lower())}%"
        q = q.where(
            or_(
                _json_text(payload, "input").ilike(needle, escape="\\"),
                _json_text(payload, "output").ilike(needle, escape="\\"),
            )
        )
    if f.flagged:
        check = aliased(EventRow)
        q = q.where(
            exists().where(
                check.output_id == EventRow.id,
                check.type == "safety",
                check.payload["triggered"].as_boolean().is_(True),
            )
        )
    if f.score_name and (f.score_min is not None or f.score_max is not None):
        q = q.where(_score_matches(f))
    return q


def _score_matches(f: OutputFilter) -> Any:
    """The score lies in the range, whether the output carried it or a score event did."""
    assert f.score_name is not None
    own = EventRow.payload[("scores", f.score_name)].as_float()
    score = aliased(EventRow)
    late = score.payload["value"].as_float()
    late_ok = exists().where(
        score.output_id == EventRow.id,
        score.type == "score",
        _json_text(score.payload, "name") == f.score_name,
        *_bounds(late, f),
    )
    return or_(and_(*_bounds(own, f)), late_ok)


def _bounds(value: Any, f: OutputFilter) -> list[Any]:
    out = [value.is_not(None)]
    if f.score_min is not None:
        out.append(value >= f.score_min)
    if f.score_max is not None:
        out.append(value <= f.score_max)
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_outputs(
    session: Session,
    f: OutputFilter,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> OutputPage:
    """A page of outputs matching `f`, newest first, with their scores, flags and feedback."""
    limit = max(1, min(limit, MAX_PAGE))
    q = _query(f)
    if before is not None:
        at, seq = before
        q = q.where((EventRow.ts < at) | ((EventRow.ts == at) & (EventRow.seq < seq)))
    rows = list(
        session.scalars(q.order_by(EventRow.ts.desc(), EventRow.seq.desc()).limit(limit + 1))
    )
    page = rows[:limit]
    found = attach(session, page)
    cursor = (page[-1].ts, page[-1].seq) if len(rows) > limit and page else None
    return OutputPage(found, cursor)


def attach(session: Session, rows: Sequence[EventRow]) -> list[FoundOutput]:
    """The outputs with the scores, safety checks and feedback that name them."""
    ids = [r.id for r in rows]
    linked: dict[str, list[EventRow]] = defaultdict(list)
    if ids:
        # Only the output_id index: with a filter or an order on type or ts, SQLite walks the
        # (type, ts) index over every score, check and rating instead of looking the few ids up
        # (4 s instead of milliseconds at a million events).
        query = select(EventRow).where(EventRow.output_id.in_(ids))
        for event in sorted(session.scalars(query), key=lambda e: (e.ts, e.seq)):
            if event.type in LINKED:
                linked[str(event.output_id)].append(event)
    return [_found(r, linked.get(r.id, [])) for r in rows]


def _found(row: EventRow, linked: list[EventRow]) -> FoundOutput:
    scores = {str(k): float(v) for k, v in (row.payload.get("scores") or {}).items()}
    flags, feedback = [], []
    for event in linked:
        p = event.payload
        if event.type == "score":
            scores[str(p.get("name"))] = float(p.get("value", 0.0))
        elif event.type == "safety":
            flags.append({"filter": p.get("filter"), "triggered": bool(p.get("triggered")),
                          "category": p.get("category"), "ts": event.ts})  # fmt: skip
        else:
            feedback.append({"rating": p.get("rating"), "comment": p.get("comment"),
                             "user_id": p.get("user_id"), "ts": event.ts})  # fmt: skip
    return FoundOutput(row.id, row.seq, row.ts, row.use_case, row.payload, scores, flags, feedback)


def get_output(session: Session, output_id: str) -> FoundOutput | None:
    row = session.scalar(select(EventRow).where(EventRow.id == output_id))
    if row is None or row.type != "output":
        return None
    return attach(session, [row])[0]


def tickets_of_user(
    session: Session, use_case: str | None, user_id: str, around: datetime, limit: int = 20
) -> list[EventRow]:
    """Support tickets the same user sent in the use case (tickets carry no output id)."""
    query = select(EventRow).where(EventRow.type == "ticket", EventRow.ts >= around)
    if use_case is not None:
        query = query.where(EventRow.use_case == use_case)
    query = query.where(_json_text(EventRow.payload, "user_id") == user_id)
    return list(session.scalars(query.order_by(EventRow.ts).limit(limit)))

"""People exposed: distinct users and affected outputs during an incident's window.

Without a scope, every output of the use case counts. With the incident's `AffectedScope`
(see `tripwire.respond.affected`), only its affected outputs do: its segment, and for safety
and hallucination incidents the flagged or low-scored outputs; severity then rests on the
people who really received a bad answer, the same people the user communications reach."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import bindparam, distinct, func, select, text
from sqlalchemy.orm import Session

from tripwire.respond.affected import SEGMENT_FIELDS, AffectedScope, affected_totals, in_segments
from tripwire.store.base import UTCDateTime
from tripwire.store.tables.events import EventRow

MAX_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Exposure:
    users: int
    outputs: int


def exposure(
    session: Session,
    use_case: str | None,
    start: datetime,
    end: datetime,
    scope: AffectedScope | None = None,
) -> Exposure:
    """Affected outputs served between `start` and `end` (at most a week) and their users."""
    if use_case is None or end <= start:
        return Exposure(0, 0)
    start = max(start, end - MAX_WINDOW)
    if scope is not None and (scope.segments or scope.flag != "all"):
        totals = affected_totals(session, _within(scope, use_case, start, end))
        return Exposure(users=totals.users, outputs=totals.outputs)
    user = EventRow.payload["user_id"].as_string()
    row = session.execute(
        select(func.count(), func.count(distinct(user))).where(
            EventRow.use_case == use_case,
            EventRow.type == "output",
            EventRow.ts >= start,
            EventRow.ts <= end,
        )
    ).one()
    return Exposure(users=int(row[1] or 0), outputs=int(row[0] or 0))


def _within(scope: AffectedScope, use_case: str, start: datetime, end: datetime) -> AffectedScope:
    return AffectedScope(
        use_case, start, end, scope.segments, scope.flag, scope.scores, scope.below
    )


class ExposureOf(Protocol):
    def __call__(
        self,
        session: Session,
        use_case: str | None,
        start: datetime,
        end: datetime,
        scope: AffectedScope | None = None,
    ) -> Exposure: ...


@dataclass(slots=True)
class _Counted:
    end: datetime
    seq: int  # the highest seq stored when counted
    outputs: int
    users: set[str] = field(default_factory=set)


class ExposureMemo:
    """`exposure` for a replay on SQLite, where reassessing a days-long incident every
    1.5 hours re-read up to a week of outputs each time (a quarter of a 1M-event replay).

    It remembers what it counted per (use case, window start) and reads only the rows added
    since: a later `ts`, or a higher `seq`. Exact because events are append-only and SQLite
    has one writer, so rows not yet visible at the last count all get a higher seq. One memo
    per `replay()` call: a failed chunk ends the replay, so nothing counted is ever undone.

    A segment-scoped window is memoised the same way (per segment set). Flagged outputs are
    counted in full each time: a safety check or score stored later can flag an output counted
    before, which reading only the new outputs would miss.
    """

    def __init__(self, limit: int = 8) -> None:
        self.limit = limit
        self._counted: OrderedDict[tuple[str, datetime, Segments], _Counted] = OrderedDict()

    def __call__(
        self,
        session: Session,
        use_case: str | None,
        start: datetime,
        end: datetime,
        scope: AffectedScope | None = None,
    ) -> Exposure:
        if scope is not None and scope.flag != "all":
            return exposure(session, use_case, start, end, scope)
        if use_case is None or end <= start:
            return Exposure(0, 0)
        start = max(start, end - MAX_WINDOW)
        segments: Segments = scope.segments if scope is not None else ()
        key = (use_case, start, segments)
        seen = self._counted.pop(key, None)
        top = int(session.scalar(select(func.coalesce(func.max(EventRow.seq), 0))) or 0)
        if seen is None or end < seen.end:
            seen = _Counted(end, top, 0)
            rows = _users(session, use_case, segments, start, end, inclusive=True)
        else:
            rows = _users(session, use_case, segments, seen.end, end, inclusive=False)
            rows += _late_users(session, use_case, segments, start, seen.end, seen.seq)
        for user_id, count in rows:
            seen.outputs += int(count)
            if user_id is not None:
                seen.users.add(str(user_id))
        seen.end, seen.seq = end, top
        self._counted[key] = seen
        while len(self._counted) > self.limit:
            self._counted.popitem(last=False)
        return Exposure(users=len(seen.users), outputs=seen.outputs)


Segments = tuple[tuple[tuple[str, str], ...], ...]


def _users(
    session: Session,
    use_case: str,
    segments: Segments,
    start: datetime,
    end: datetime,
    *,
    inclusive: bool,
) -> list[tuple[str | None, int]]:
    """(user id, outputs) of the use case's outputs with start <= ts (or <) and ts <= end."""
    user = EventRow.payload["user_id"].as_string()
    after = EventRow.ts >= start if inclusive else EventRow.ts > start
    query = (
        select(user, func.count())
        .where(EventRow.use_case == use_case, EventRow.type == "output", after)
        .where(EventRow.ts <= end)
        .group_by(user)
    )
    if segments:
        query = query.where(in_segments(segments))
    return [(u, int(c)) for u, c in session.execute(query)]


# The unary `+` keeps SQLite off the (use_case, type, ts) index, which would scan the whole
# window: the rows after `seq` are the few stored since the last count, found by rowid.
_LATE = (
    "SELECT json_extract(payload, '$.user_id'), count(*) FROM events "
    "WHERE seq > :seq AND +use_case = :use_case AND +type = 'output' "
    "AND +ts >= :start AND +ts <= :end{segments} GROUP BY 1"
)


def _late_users(
    session: Session,
    use_case: str,
    segments: Segments,
    start: datetime,
    end: datetime,
    seq: int,
) -> list[tuple[str | None, int]]:
    """Like `_users` (inclusive) for rows stored after `seq`: late events of a counted window."""
    params: dict[str, object] = {"seq": seq, "use_case": use_case, "start": start, "end": end}
    alternatives: list[str] = []
    for i, segment in enumerate(segments):
        parts: list[str] = []
        for j, (key, value) in enumerate(segment):
            assert key in SEGMENT_FIELDS  # a known field name, never text from an event
            parts.append(f"json_extract(payload, '$.{key}') = :s{i}_{j}")
            params[f"s{i}_{j}"] = value
        alternatives.append("(" + " AND ".join(parts) + ")")
    where = " AND (" + " OR ".join(alternatives) + ")" if alternatives else ""
    query = text(_LATE.format(segments=where)).bindparams(
        bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
    )
    return [(u, int(c)) for u, c in session.execute(query, params)]

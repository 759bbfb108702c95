"""The exact users an incident reached: who received its affected outputs.

Affected outputs are the outputs of the incident's use case inside its window (onset to
resolution, or now), restricted to its segments when signals of the incident are
segment-scoped (a model, model version or prompt version), and, for safety and hallucination
incidents, to the outputs flagged by a triggered safety check or a low score: a user who only
received good answers was not harmed and is not told they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from tripwire.config.communicate import AffectedUsersConfig
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import isoformat_z
from tripwire.respond import affected_sqlite, queries
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import IncidentRow

MAX_WINDOW = timedelta(days=31)  # bounds the read; an incident is not a month of traffic
SEGMENT_FIELDS = ("model", "model_version", "prompt_version")
# Checks and scores of an output can arrive a little after it: look this far past the window.
LATE_EVIDENCE = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AffectedScope:
    """What makes an output affected. `segments` empty: the whole use case; `flag` "all", or
    "safety" / "low_score" with the score names and the threshold under which they flag."""

    use_case: str | None
    start: datetime
    end: datetime
    segments: tuple[tuple[tuple[str, str], ...], ...] = ()
    flag: str = "all"
    scores: tuple[str, ...] = ()
    below: float = 0.0

    @property
    def evidence_end(self) -> datetime:
        """The last time a check or score that flags an output of the window may carry."""
        return self.end + LATE_EVIDENCE

    def as_json(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case,
            "start": isoformat_z(self.start),
            "end": isoformat_z(self.end),
            "segments": [dict(s) for s in self.segments],
            "outputs": "every output" if self.flag == "all" else f"flagged ({self.flag})",
            "scores": list(self.scores),
            "below": self.below if self.flag != "all" else None,
        }


@dataclass(frozen=True, slots=True)
class AffectedUser:
    user_id: str
    outputs: int


@dataclass(frozen=True, slots=True)
class AffectedTotals:
    users: int
    outputs: int
    unattributed_outputs: int  # affected outputs that carry no user_id


def scope_of(
    session: Session, incident: IncidentRow, now: datetime, config: AffectedUsersConfig
) -> AffectedScope:
    """The incident's affected scope, from its type, signals and window."""
    end = incident.resolved_at or now
    start = max(incident.started_at, end - MAX_WINDOW)
    # The detector raises a use-case signal and, beside it, one per version that moved: when
    # any signal names a segment, the incident is where those signals point.
    scoped = {_segment(s.segment) for s in queries.signals(session, incident.number)}
    segments = tuple(sorted(s for s in scoped if s))
    return scope_for(incident.type, incident.use_case, start, end, segments, config)


def alert_scope(alert: Alert, now: datetime, config: AffectedUsersConfig) -> AffectedScope:
    """The scope of the incident an alert is about to open."""
    segment = _segment(alert.segment)
    segments = (segment,) if segment else ()
    return scope_for(alert.incident_type, alert.use_case, alert.started_at, now, segments, config)


def scope_for(
    type_: str,
    use_case: str | None,
    start: datetime,
    end: datetime,
    segments: tuple[tuple[tuple[str, str], ...], ...],
    config: AffectedUsersConfig,
) -> AffectedScope:
    if type_ == "safety":
        return AffectedScope(
            use_case, start, end, segments, "safety",
            tuple(config.safety_scores), config.safety_score_below,
        )  # fmt: skip
    if type_ == "hallucination":
        return AffectedScope(
            use_case, start, end, segments, "low_score",
            tuple(config.hallucination_scores), config.low_score_below,
        )  # fmt: skip
    return AffectedScope(use_case, start, end, segments)


def _segment(segment: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in segment.items() if k in SEGMENT_FIELDS))


def _user() -> Any:
    return EventRow.payload["user_id"].as_string()


def _affected(scope: AffectedScope) -> ColumnElement[bool]:
    """The condition on `EventRow` (an output) for being affected."""
    assert scope.use_case is not None
    where: list[ColumnElement[bool]] = [
        EventRow.use_case == scope.use_case,
        EventRow.type == "output",
        EventRow.ts >= scope.start,
        EventRow.ts <= scope.end,
    ]
    if scope.segments:
        where.append(in_segments(scope.segments))
    if scope.flag != "all":
        where.append(_flagged(scope))
    return and_(*where)


def in_segments(segments: tuple[tuple[tuple[str, str], ...], ...]) -> ColumnElement[bool]:
    """An output of any of `segments` (each a set of field = value)."""
    return or_(*(and_(*(EventRow.payload[k].as_string() == v for k, v in s)) for s in segments))


def _flagged(scope: AffectedScope) -> ColumnElement[bool]:
    """A triggered safety check about the output (safety only), a score event under the
    threshold, or a score the product sent on the output itself under it."""
    evidence = aliased(EventRow)
    near = and_(
        evidence.use_case == scope.use_case,
        evidence.ts >= scope.start,
        evidence.ts <= scope.evidence_end,
    )
    scored = select(evidence.output_id).where(
        near,
        evidence.type == "score",
        evidence.payload["name"].as_string().in_(scope.scores),
        evidence.payload["value"].as_float() < scope.below,
    )
    cases: list[ColumnElement[bool]] = [EventRow.id.in_(scored)]
    if scope.flag == "safety":
        checks = select(evidence.output_id).where(
            near, evidence.type == "safety", evidence.payload["triggered"].as_boolean()
        )
        cases.append(EventRow.id.in_(checks))
    for name in scope.scores:
        cases.append(EventRow.payload[("scores", name)].as_float() < scope.below)
    return or_(*cases) if cases else false()


def affected_totals(session: Session, scope: AffectedScope) -> AffectedTotals:
    if _on_sqlite(session) and _has_window(scope):
        return AffectedTotals(*affected_sqlite.totals(session, scope))
    return portable_totals(session, scope)


def affected_users(
    session: Session, scope: AffectedScope, *, after: str | None = None, limit: int = 1000
) -> list[AffectedUser]:
    """Affected users ordered by user id, those after `after` (the paging cursor)."""
    if _on_sqlite(session) and _has_window(scope):
        return [AffectedUser(u, n) for u, n in affected_sqlite.users(session, scope, after, limit)]
    return portable_users(session, scope, after=after, limit=limit)


def affected_summary(
    session: Session, scope: AffectedScope, *, after: str | None = None, limit: int = 1000
) -> tuple[AffectedTotals, list[AffectedUser]]:
    """`affected_totals` and `affected_users` at once; on SQLite one read of the window where
    the scope allows it, so a panel that shows both does not read a week of traffic twice."""
    if _on_sqlite(session) and _has_window(scope):
        totals, users = affected_sqlite.summary(session, scope, after, limit)
        return AffectedTotals(*totals), [AffectedUser(u, n) for u, n in users]
    return portable_totals(session, scope), portable_users(session, scope, after=after, limit=limit)


def _on_sqlite(session: Session) -> bool:
    """SQLite has the indexes of migration 0123 and its own query shape to use them."""
    return session.get_bind().dialect.name == "sqlite"


def _has_window(scope: AffectedScope) -> bool:
    return scope.use_case is not None and scope.end > scope.start


def portable_totals(session: Session, scope: AffectedScope) -> AffectedTotals:
    """`affected_totals` in SQL any database runs: PostgreSQL's path, and the reference the
    SQLite path is tested against."""
    if not _has_window(scope):
        return AffectedTotals(0, 0, 0)
    user = _user()
    row = session.execute(
        select(
            func.count(func.distinct(user)),
            func.count(),
            func.count() - func.count(user),
        ).where(_affected(scope))
    ).one()
    return AffectedTotals(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def portable_users(
    session: Session, scope: AffectedScope, *, after: str | None = None, limit: int = 1000
) -> list[AffectedUser]:
    """`affected_users` in SQL any database runs (see `portable_totals`)."""
    if not _has_window(scope):
        return []
    user = _user()
    query = select(user, func.count()).where(_affected(scope), user.is_not(None))
    if after is not None:
        query = query.where(user > after)
    query = query.group_by(user).order_by(user).limit(limit)
    return [AffectedUser(str(u), int(n)) for u, n in session.execute(query)]

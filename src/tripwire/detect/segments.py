"""A signal split by version (model version or prompt version), hour by hour, read from the
stored events: the stored windows hold totals only. Read-only and bounded to `MAX_RANGE`, so
it costs one grouped query over that range's events of one type.

Rates (negative feedback, safety triggers, errors) and score means can be split: feedback,
checks and scores are joined to the output they are about, whose versions they inherit.
Latency, tickets and metrics are not split here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from tripwire.config.monitors import MonitorSpec
from tripwire.domain.events import is_negative_rating
from tripwire.store.tables.events import EventRow

MAX_RANGE = timedelta(hours=72)
SPLITTABLE = ("negative_feedback", "safety_trigger", "error_rate", "score_mean")
FIELDS = ("prompt_version", "model_version")
MAX_VALUES = 6


@dataclass(frozen=True, slots=True)
class SegmentSeries:
    """One version's hourly values: {hour: (volume, value)}."""

    value: str
    hours: dict[datetime, tuple[float, float]]

    @property
    def volume(self) -> float:
        return sum(v for v, _ in self.hours.values())


def _hour(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc("hour", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # UTCDateTime's text form on SQLite


def _parse_hour(text: str) -> datetime:
    return datetime.strptime(str(text)[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)


def split(
    session: Session,
    spec: MonitorSpec,
    use_case: str,
    field: str,
    start: datetime,
    end: datetime,
) -> list[SegmentSeries]:
    """The monitor's signal per value of `field` over [start, end) (at most `MAX_RANGE`, the
    latest part kept), the busiest `MAX_VALUES` values first; [] when it cannot be split."""
    if spec.signal not in SPLITTABLE or field not in FIELDS:
        return []
    start = max(start, end - MAX_RANGE)
    sums: dict[str, dict[datetime, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0])
    )
    for hour, version, volume, amount in _rows(session, spec, use_case, field, start, end):
        acc = sums[str(version or "(none)")][_parse_hour(hour)]
        acc[0] += volume
        acc[1] += amount
    series = [
        SegmentSeries(v, {h: (n, s / n) for h, (n, s) in hours.items() if n > 0})
        for v, hours in sums.items()
    ]
    return sorted(series, key=lambda s: -s.volume)[:MAX_VALUES]


def _rows(
    session: Session, spec: MonitorSpec, use_case: str, field: str, start: datetime, end: datetime
) -> list[tuple[str, str | None, float, float]]:
    """(hour, version, volume, amount): amount is the count of bad events, or the score sum."""
    if spec.signal == "error_rate":
        return _errors(session, use_case, field, start, end)
    linked = {"negative_feedback": "feedback", "safety_trigger": "safety", "score_mean": "score"}
    event = aliased(EventRow)
    output = aliased(EventRow)
    version = output.payload[field].as_string()
    hour = _hour(session, event.ts)
    if spec.signal == "negative_feedback":
        detail: Any = event.payload["rating"].as_string()
    elif spec.signal == "safety_trigger":
        detail = event.payload["triggered"].as_boolean()
    else:
        detail = None
    columns = [hour, version] + ([detail] if detail is not None else [])
    query = (
        select(*columns, func.count(), func.sum(event.payload["value"].as_float()))
        .join(output, output.id == event.output_id)
        .where(
            event.type == linked[spec.signal],
            event.use_case == use_case,
            event.ts >= start,
            event.ts < end,
        )
        .group_by(*columns)
    )
    if spec.signal == "score_mean":
        query = query.where(event.payload["name"].as_string() == spec.score)
    rows = [_amount(spec.signal, row) for row in session.execute(query)]
    if spec.signal == "score_mean":
        rows += _inline_scores(session, spec, use_case, field, start, end)
    return rows


def _inline_scores(
    session: Session, spec: MonitorSpec, use_case: str, field: str, start: datetime, end: datetime
) -> list[tuple[str, str | None, float, float]]:
    """Scores the product sent on the output itself."""
    value = EventRow.payload[("scores", spec.score or "")].as_float()
    version = EventRow.payload[field].as_string()
    hour = _hour(session, EventRow.ts)
    query = (
        select(hour, version, func.count(value), func.sum(value))
        .where(
            EventRow.type == "output",
            EventRow.use_case == use_case,
            EventRow.ts >= start,
            EventRow.ts < end,
        )
        .group_by(hour, version)
    )
    return [(h, v, float(n), float(t or 0.0)) for h, v, n, t in session.execute(query) if n]


def _amount(signal: str, row: Any) -> tuple[str, str | None, float, float]:
    if signal == "score_mean":
        hour, version, count, total = row
        return hour, version, float(count), float(total or 0.0)
    hour, version, detail, count, _ = row
    bad = _negative(detail) if signal == "negative_feedback" else bool(detail)
    return hour, version, float(count), float(count) if bad else 0.0


def _negative(rating: Any) -> bool:
    if rating is None:
        return False
    text = str(rating)
    return is_negative_rating(int(text)) if text.isdigit() else is_negative_rating(text)


def _errors(
    session: Session, use_case: str, field: str, start: datetime, end: datetime
) -> list[tuple[str, str | None, float, float]]:
    status = EventRow.payload["status"].as_string()
    version = EventRow.payload[field].as_string()
    hour = _hour(session, EventRow.ts)
    query = (
        select(hour, version, status, func.count())
        .where(
            EventRow.type == "output",
            EventRow.use_case == use_case,
            EventRow.ts >= start,
            EventRow.ts < end,
        )
        .group_by(hour, version, status)
    )
    return [
        (h, v, float(n), float(n) if (s or "ok") != "ok" else 0.0)
        for h, v, s, n in session.execute(query)
    ]

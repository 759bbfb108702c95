"""Per-component history: the worst published status of each UTC day, and uptime.

Each public update records every component's status from that moment on; an incident's
resolution (or the end of the window) sets them back to operational. Uptime weighs a major
outage fully and a partial outage at 30 %, as Atlassian Statuspage does; degraded performance
and maintenance do not count as downtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from tripwire.communicate.statuspage import PublicIncident, worst_of
from tripwire.domain.clock import as_utc

WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    status: str
    downtime_minutes: int


@dataclass(frozen=True, slots=True)
class ComponentHistory:
    component: str
    days: list[Day]
    uptime: float  # percent over the window, two decimals


def _spans(
    incident: PublicIncident, component: str, now: datetime
) -> list[tuple[datetime, datetime, str]]:
    """(start, end, status) while `component` was not operational in this incident."""
    end_of = as_utc(incident.resolved_at) if incident.resolved_at else now
    spans: list[tuple[datetime, datetime, str]] = []
    ups = list(incident.updates)
    for i, update in enumerate(ups):
        status = update.components.get(component, "operational")
        if status == "operational":
            continue
        start = as_utc(update.at)
        end = as_utc(ups[i + 1].at) if i + 1 < len(ups) else end_of
        # A status announced just now (zero length so far) still colours today.
        if end > start or (end == start and incident.resolved_at is None):
            spans.append((start, min(end, end_of), status))
    return spans


def history(
    component: str, incidents: Sequence[PublicIncident], now: datetime, days: int
) -> ComponentHistory:
    """The last `days` UTC days up to today, oldest first. Each span is added to the days it
    overlaps only, so the work grows with the incidents, not with incidents x days."""
    now = as_utc(now)
    first = datetime.combine(now.date() - timedelta(days=days - 1), time(), tzinfo=now.tzinfo)
    statuses: list[list[str]] = [[] for _ in range(days)]
    down = [0.0] * days
    for incident in incidents:
        for s_start, s_end, status in _spans(incident, component, now):
            s_start, s_end = max(s_start, first), min(s_end, now)
            index = max(0, (s_start - first).days)
            while index < days and s_end >= first + index * DAY:
                day_start = first + index * DAY
                overlap = (min(s_end, day_start + DAY) - max(s_start, day_start)).total_seconds()
                if overlap > 0 or s_start == s_end == max(s_start, day_start):
                    statuses[index].append(status)
                    down[index] += overlap / 60 * WEIGHT.get(status, 0.0)
                index += 1
    result = [
        Day((first + n * DAY).date(), worst_of(statuses[n]), round(down[n])) for n in range(days)
    ]
    window = (now - first).total_seconds() / 60
    uptime = 100.0 if window <= 0 else max(0.0, 100.0 * (1 - sum(down) / window))
    return ComponentHistory(component, result, round(uptime, 2))

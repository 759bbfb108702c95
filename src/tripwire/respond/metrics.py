"""Response metrics: mean time to detect, acknowledge, mitigate and resolve, per incident type
and severity. MTTD runs from onset (started_at) to detection; the others from detection."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.store.tables.respond import IncidentRow

MEASURES = ("mttd", "mtta", "mttm", "mttr")


@dataclass
class Tally:
    """Sums and counts of seconds for each measure."""

    incidents: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0.0))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))

    def add(self, measure: str, start: datetime | None, end: datetime | None) -> None:
        if start is None or end is None:
            return
        self.seconds[measure] += max((end - start).total_seconds(), 0.0)
        self.counts[measure] += 1

    def means(self) -> dict[str, float | None]:
        return {m: (self.seconds[m] / self.counts[m] if self.counts[m] else None) for m in MEASURES}


def response_tallies(session: Session) -> dict[tuple[str, str], Tally]:
    """(type, severity) -> Tally over every incident stored."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    rows = session.execute(
        select(
            IncidentRow.type,
            IncidentRow.severity,
            IncidentRow.started_at,
            IncidentRow.detected_at,
            IncidentRow.acknowledged_at,
            IncidentRow.mitigated_at,
            IncidentRow.resolved_at,
        )
    )
    for kind, severity, started, detected, acked, mitigated, resolved in rows:
        tally = tallies[(str(kind), str(severity))]
        tally.incidents += 1
        tally.add("mttd", started, detected)
        tally.add("mtta", detected, acked)
        tally.add("mttm", detected, mitigated)
        tally.add("mttr", detected, resolved)
    return dict(tallies)


def response_report(session: Session) -> list[dict[str, object]]:
    """One row per (type, severity): incident count and the mean of each measure in seconds."""
    return [
        {
            "type": kind,
            "severity": sev,
            "incidents": t.incidents,
            **t.means(),
            "measured": dict(t.counts),
        }
        for (kind, sev), t in sorted(response_tallies(session).items())
    ]

"""Alerts: what a detector (or an external alert source) hands to the respond stage.

Detect produces alerts; respond groups alerts that agree (same use case, overlapping time)
into one incident, dedups on `dedup_key`, and resolves its part when an alert clears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tripwire.domain.incidents import IncidentType, Severity

AlertState = Literal["firing", "resolved"]

# A firing alert repeated with `details["rule"] == "grew"` is the same alert at a graver level
# (its detector's test against its own level); where it is kept, the times it grew are listed
# under "grew_at", the last this many.
GROWTHS_KEPT = 10


def grown(previous: list[str] | None, at: str) -> list[str]:
    """The list of growth times with one more (ISO 8601), bounded to `GROWTHS_KEPT`."""
    return [*(previous or []), at][-GROWTHS_KEPT:]


@dataclass(frozen=True, slots=True)
class Alert:
    """One signal crossing (or clearing) its alerting line.

    `dedup_key` identifies the signal (monitor + use case + segment, or an Alertmanager
    fingerprint / PagerDuty dedup_key): a firing alert whose key already belongs to an open
    incident adds nothing new. `started_at` is the estimated onset, `detected_at` the event time
    at which the evidence crossed the line. `baseline` and `observed` are in the metric's units
    (a rate, a mean score, milliseconds). `magnitude` is the relative size of the change
    (observed / baseline - 1 for rises; 1 - observed / baseline for drops) used by severity rules.
    """

    dedup_key: str
    state: AlertState
    incident_type: IncidentType
    use_case: str | None
    monitor: str
    metric: str
    started_at: datetime
    detected_at: datetime
    baseline: float | None = None
    observed: float | None = None
    magnitude: float | None = None
    segment: dict[str, str] = field(default_factory=dict)
    source: str = "detector"  # detector | alertmanager | pagerduty | manual
    title: str | None = None
    severity_hint: Severity | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def grew(self) -> bool:
        """The firing alert repeated at a graver level (see `GROWTHS_KEPT`), not a new one."""
        return self.state == "firing" and self.details.get("rule") == "grew"

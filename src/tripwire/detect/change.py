"""What a detector reports when a series starts or stops misbehaving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Change:
    """A firing or resolved verdict. Times are minutes since the Unix epoch (event time):
    `started_at` the estimated onset, `detected_at` when the evidence crossed the line.
    `baseline` and `observed` are in the series' units; `magnitude` is the relative change
    (observed / baseline - 1 for rises, 1 - observed / baseline for drops). `events`: for a
    rate's firing verdict, the events counted in the windows that crossed the line (how much
    evidence the size rests on; None where the statistic is not a count). `confirm_in`: for a
    rate's firing verdict, the minutes its detector needs to confirm a real change of the size
    reported, at the volume of the crossing (docs/detect.md, "Severity from evidence")."""

    state: Literal["firing", "resolved"]
    started_at: int
    detected_at: int
    baseline: float
    observed: float
    magnitude: float
    rule: str = "cusum"
    events: float | None = None
    confirm_in: float | None = None

    @property
    def raised(self) -> bool:
        """A new alert: firing, and not the same alert repeated (its confirmation, or its
        growth to a graver level while it fires)."""
        return self.state == "firing" and self.rule not in REPEATS


# The rules of a firing Change that repeats an alert already raised (detect/episode.py).
REPEATS = ("confirmed", "grew")


def relative(baseline: float, observed: float, rising: bool) -> float:
    if baseline <= 0:
        return 0.0
    return observed / baseline - 1.0 if rising else 1.0 - observed / baseline


SENSITIVITY_OFFSET = {"low": 2.0, "normal": 0.0, "high": -1.5}

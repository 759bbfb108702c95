"""Stuck-sensor evidence for the generic series detector: a CUSUM of the log-likelihood ratio
"the value changes ten times less often than it used to" against this series' own repeat rates.

The rates are learned while a run lasts (at a tenth of the weight of a finished run), so a run
scores high at its start and becomes the new normal when it goes on long enough: a series that
has always been flat, or is made of long constant runs, learns that repeats are what it does."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

DECAY = 0.999  # the repeat rates remember about the last thousand rows
IN_RUN = 0.1  # weight of a row of the current run in the rates, against 1 once it has ended
ALLOWANCE = 0.1  # nats per row: near-certain repeats (p -> 1) do not add up to evidence
RARER = 10.0  # the alternative: changes this many times rarer than learned


@dataclass
class Repeats:
    """Repeats as a two-state Markov chain: P(a value equals the one before) after a change
    (`first`) and after a repeat (`more`), as decayed counts: bounded state."""

    run: int = 0
    first_hits: float = 0.0
    first_seen: float = 0.0
    more_hits: float = 0.0
    more_seen: float = 0.0
    last: float = math.nan
    cusum: float = 0.0

    def dump(self) -> dict[str, Any]:
        data = asdict(self)
        data["last"] = None if math.isnan(self.last) else self.last  # JSON has no NaN
        return data

    def load(self, data: dict[str, Any]) -> None:
        self.run = int(data["run"])
        self.first_hits, self.first_seen = float(data["first_hits"]), float(data["first_seen"])
        self.more_hits, self.more_seen = float(data["more_hits"]), float(data["more_seen"])
        self.last = math.nan if data["last"] is None else float(data["last"])
        self.cusum = float(data.get("cusum", 0.0))

    def rate(self) -> float:
        """P(the next value repeats the newest), as learned so far (add-one-half prior; with no
        runs seen, a repeat continues as often as a value repeats at all)."""
        first = (self.first_hits + 0.5) / (self.first_seen + 1.0)
        if not self.run:
            return first
        in_run = IN_RUN * (self.run - 1)
        return (self.more_hits + in_run + 2.0 * first) / (self.more_seen + in_run + 2.0)

    def surprise(self, value: float) -> float:
        """Nats of evidence that the series is stuck, counting `value`; then learns from it."""
        repeat, first = value == self.last, math.isnan(self.last)
        self.last = value
        if first:
            # The first value follows none: no repeat and no change to learn. Counted as a
            # value that did not repeat the one before, it taught a series whose second row
            # differed that a new value repeats 3 times in 8 (1 in 2 without it): the 146-row
            # run after that row climbed to 16 nats of stuck evidence, and still held 8 after
            # two more changes (tests/unit/detect/test_series.py, piecewise-constant counts).
            return self.cusum
        p0 = min(self.rate(), 1.0 - 1e-12)
        p1 = 1.0 - (1.0 - p0) / RARER
        step = math.log(p1 / p0) if repeat else math.log((1.0 - p1) / (1.0 - p0))
        self.cusum = max(0.0, self.cusum + step - ALLOWANCE)
        self._learn(repeat)
        return self.cusum

    def _learn(self, repeat: bool) -> None:
        if self.run == 0:
            self.first_hits = DECAY * self.first_hits + repeat
            self.first_seen = DECAY * self.first_seen + 1.0
        if not repeat and self.run:
            # The finished run replaces its in-run share with its full weight.
            self.more_hits = DECAY * self.more_hits + self.run - 1
            self.more_seen = DECAY * self.more_seen + self.run
        self.run = self.run + 1 if repeat else 0

"""Stuck-sensor evidence for the generic series detector: how improbable the current run of
identical values is, given how often this series repeats a value."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

DECAY = 0.999  # the repeat rates remember about the last thousand rows


@dataclass
class Repeats:
    """Repeats as a two-state Markov chain: `first` is P(a value equals the one before),
    `more` is P(a repeat continues), so a run of k repeats has surprise
    -log(first) - (k - 1) log(more) nats. Counts and runs are decayed sums: bounded state."""

    run: int = 0
    first_hits: float = 0.0
    first_seen: float = 0.0
    more_hits: float = 0.0
    more_seen: float = 0.0
    last: float = math.nan

    def dump(self) -> dict[str, Any]:
        data = asdict(self)
        data["last"] = None if math.isnan(self.last) else self.last  # JSON has no NaN
        return data

    def load(self, data: dict[str, Any]) -> None:
        self.run = int(data["run"])
        self.first_hits, self.first_seen = float(data["first_hits"]), float(data["first_seen"])
        self.more_hits, self.more_seen = float(data["more_hits"]), float(data["more_seen"])
        self.last = math.nan if data["last"] is None else float(data["last"])

    def surprise(self, value: float) -> float:
        """Nats of evidence that the series is stuck, counting `value`; then learns from it."""
        repeat = value == self.last
        self.last = value
        if self.run == 0:
            self.first_hits = DECAY * self.first_hits + repeat
            self.first_seen = DECAY * self.first_seen + 1.0
        if not repeat and self.run:
            # A run is learned when it ends: learning it while it lasts would make any stuck
            # stretch look normal after a few rows.
            self.more_hits = DECAY * self.more_hits + self.run - 1
            self.more_seen = DECAY * self.more_seen + self.run
        self.run = self.run + 1 if repeat else 0
        if not self.run:
            return 0.0
        # Add-one-half prior on a repeat; with no runs seen yet, a repeat is assumed to
        # continue as often as a value repeats at all (memoryless), worth two runs.
        first = (self.first_hits + 0.5) / (self.first_seen + 1.0)
        more = (self.more_hits + 2.0 * first) / (self.more_seen + 2.0)
        return -math.log(first) - (self.run - 1) * math.log(more)

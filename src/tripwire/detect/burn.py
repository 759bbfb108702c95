"""SLO burn-rate alerting (multi-window, multi-burn-rate): page when the error budget burns
14.4x too fast over both 1 h and 5 min, or 6x over both 6 h and 30 min. Catches outages within
minutes whatever the learned baseline, and ignores blips the short window has already left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tripwire.detect.change import Change

WINDOWS = ((60, 5, 14.4), (360, 30, 6.0))  # (long, short, burn rate)
SPAN = 360
SHORTEST = min(w[1] for w in WINDOWS)


@dataclass
class BurnRate:
    """`update(minute, n, k)`: `k` bad out of `n` in the window ending at `minute`.
    `target` is the SLO (0.99: 1 % of requests may fail)."""

    target: float = 0.99
    ring_n: list[float] = field(default_factory=lambda: [0.0] * SPAN)
    ring_k: list[float] = field(default_factory=lambda: [0.0] * SPAN)
    last: int = -1
    first: int = -1
    firing: dict[str, float] | None = None

    sums: dict[int, list[float]] = field(default_factory=dict)

    def _burn(self, span: int) -> float:
        # A window counts once a short window's worth of history exists and it holds a few
        # failures: one or two errors among the first requests of a stream are not an outage.
        if self.first < 0 or self.last - self.first + 1 < min(span, SHORTEST):
            return 0.0
        n, k = self.sums.get(span, [0.0, 0.0])
        return (k / n) / (1.0 - self.target) if n >= 10 and k >= 3 else 0.0

    def _push(self, minute: int, n: float, k: float) -> None:
        # Running sums per window: add the new minute, drop the one that leaves each window.
        spans = {s for w in WINDOWS for s in w[:2]}
        for span in spans:
            acc = self.sums.setdefault(span, [0.0, 0.0])
            gone_n, gone_k = self._at(minute - span)  # read before the slot is overwritten
            acc[0] += n - gone_n
            acc[1] += k - gone_k
        self.ring_n[minute % SPAN], self.ring_k[minute % SPAN] = n, k

    def _at(self, minute: int) -> tuple[float, float]:
        return self.ring_n[minute % SPAN], self.ring_k[minute % SPAN]

    def update(self, minute: int, n: float, k: float) -> Change | None:
        if minute <= self.last:
            return None
        if self.first < 0:
            self.first = minute
        if self.last >= 0:
            for m in range(max(self.last + 1, minute - SPAN), minute):
                self._push(m, 0.0, 0.0)
        self._push(minute, n, k)
        self.last = minute
        hot = [
            (long, short)
            for long, short, rate in WINDOWS
            if self._burn(long) >= rate and self._burn(short) >= rate
        ]
        budget = 1.0 - self.target
        if self.firing is None and hot:
            _long, short = hot[0]
            seen = self._burn(short) * budget
            self.firing = {"start": minute - short + 1, "at": minute, "seen": seen}
            return Change(
                "firing",
                minute - short + 1,
                minute,
                budget,
                seen,
                seen / budget - 1.0,
                rule="burn_rate",
            )
        calm = all(self._burn(short) < rate for _, short, rate in WINDOWS)
        if self.firing is not None and calm and minute - self.firing["at"] >= 15:
            fired, self.firing = self.firing, None
            return Change(
                "resolved",
                int(fired["start"]),
                minute,
                budget,
                fired["seen"],
                fired["seen"] / budget - 1.0,
                rule="burn_rate",
            )
        return None

    def dump(self) -> dict[str, Any]:
        return {
            "n": self.ring_n,
            "k": self.ring_k,
            "last": self.last,
            "first": self.first,
            "f": self.firing,
            "s": {str(k): v for k, v in self.sums.items()},
        }

    def load(self, data: dict[str, Any]) -> None:
        self.ring_n = [float(x) for x in data["n"]]
        self.ring_k = [float(x) for x in data["k"]]
        self.last, self.firing = int(data["last"]), data["f"]
        self.first = int(data.get("first", self.last))
        self.sums = {int(k): [float(x) for x in v] for k, v in data["s"].items()}

"""Self-calibration of the generic series detector's evidence.

The detector's evidence (nats) is exact only when its model of the series is right. Where the
model is wrong in a recurring way (a weekly pattern read as a daily one, counts read as
Gaussian, a drifting random walk), evidence of several nats is routine in that series. Each
series therefore keeps the tail of its own evidence: the share of rows over U nats and their
mean excess (an exponential tail, as a calibrated series would show with mean excess 1). A row
is then as surprising as it is rare in this series' own history, and never more surprising than
its raw evidence. A sustained anomaly feeds this history too, so it fades as it becomes the new
normal. Each kind of evidence keeps its own history (`Calibrations`).

A kind may learn its rows late (`lag`): a stuck run's evidence climbs row by row, and learned at
once, the climb's own earlier rows made its later ones look routine (a 30-row flat line in
white noise rose to 31 raw nats but scored 10 calibrated, under the corpus threshold of ~11).
Its rows wait up to `lag` rows, and are learned at once when the kind has made its case (FLUSH
calibrated nats), so a run that goes on still fades. A slow trend change's multi-horizon
evidence climbs the same way and is lagged too (`series.LAGS`)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

U = 3.0  # nats where the tail starts
DECAY = 0.9998  # about the last five thousand rows: a weekly pattern of 5-minute rows
PRIOR_ROWS = 200.0  # pseudo-rows of a calibrated series: e^-U of them over U, mean excess 1
PRIOR_OVER = 10.0
# Calibrated nats at which a lagged kind learns its waiting rows at once: just over the
# benchmark's corpus threshold (~11), so a run crosses it and then fades. At 25 the rest of a
# run of zeros after a level drop in counts kept paging (tuning window score 50.5, not 51.6).
FLUSH = 12.0


@dataclass
class Calibration:
    rows: float = 0.0
    over: float = 0.0
    excess: float = 0.0
    lag: int = 0  # rows a raw value waits before it is learned
    waiting: deque[float] = field(default_factory=deque)

    def dump(self) -> dict[str, Any]:
        data = {"rows": self.rows, "over": self.over, "excess": self.excess}
        return {**data, "waiting": list(self.waiting)}

    def load(self, data: dict[str, Any]) -> None:
        self.rows, self.over = float(data["rows"]), float(data["over"])
        self.excess = float(data["excess"])
        self.waiting = deque(float(v) for v in data.get("waiting", []))

    def nats(self, raw: float) -> float:
        if raw <= U:
            return raw
        rate = (self.over + PRIOR_ROWS * math.exp(-U)) / (self.rows + PRIOR_ROWS)
        mean_excess = max(1.0, (self.excess + PRIOR_OVER) / (self.over + PRIOR_OVER))
        return min(raw, -math.log(rate) + (raw - U) / mean_excess)

    def learn(self, raw: float, flush: bool = False) -> None:
        """Learns `raw` once it has waited `lag` rows (every waiting row at once on `flush`)."""
        self.waiting.append(raw)
        while len(self.waiting) > (0 if flush else self.lag):
            self._learn(self.waiting.popleft())

    def _learn(self, raw: float) -> None:
        self.rows = DECAY * self.rows + 1.0
        self.over *= DECAY
        self.excess *= DECAY
        if raw > U:
            self.over += 1.0
            self.excess += float(min(raw, 1e6)) - U


@dataclass
class Calibrations:
    """One calibration per kind of evidence: a kind the model reads poorly in this series (the
    variance CUSUM on heavy-tailed residuals) is discounted without discounting the others."""

    parts: list[Calibration]

    def __init__(self, lags: list[int]) -> None:
        self.parts = [Calibration(lag=lag) for lag in lags]

    def dump(self) -> dict[str, Any]:
        return {"parts": [part.dump() for part in self.parts]}

    def load(self, data: dict[str, Any]) -> None:
        for part, saved in zip(self.parts, data["parts"], strict=False):
            part.load(saved)

    def nats(self, raws: list[float]) -> float:
        """The strongest calibrated evidence of `raws` (one per kind); then learns them."""
        best = 0.0
        for part, raw in zip(self.parts, raws, strict=True):
            calibrated = part.nats(raw)
            best = max(best, calibrated)
            part.learn(raw, flush=calibrated >= FLUSH)
        return best

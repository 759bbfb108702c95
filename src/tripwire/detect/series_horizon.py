"""Multi-horizon level evidence for the generic series detector: the mean of the newest rows
against what the model predicted before them, at a few horizons.

The level trackers learn from every row, so a burst, a drift or a trend change is partly
followed by the prediction and its one-step residuals stay small. Here the newest `m` rows
(deseasonalised) are compared with the prediction made `horizon` rows ago (m = horizon / 2, so
the reference predates the window): a change that the one-step residuals hide shows as a
growing difference. Each horizon's difference is read against its own typical size in this
series (a decayed mean absolute value, Huber-bounded so that an anomaly does not teach it to
be normal within a few rows), so a random walk's wide wanders and a white noise's narrow ones
are each judged on their own terms. A re-baseline of the model (a confirmed shift, a new
period) restarts the horizons: a confirmed shift stops counting once it is the new normal."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tripwire.detect.series_tail import gauss_nats

HORIZONS = (8, 32, 128)
# A horizon's differences overlap (consecutive ones share most rows), so its scale rests on
# about one independent difference per horizon of rows: it is trusted after WARM of them and
# remembers about SPAN of them. Fewer made white noise page on its own wanders.
WARM = 16
SPAN = 64
BOUND = 3.0  # Huber bound on what one row teaches a horizon's scale
HALF_NORMAL = math.sqrt(math.pi / 2.0)  # E|D| * this is the standard deviation of a Gaussian D
# Nats taken off a horizon's evidence: ln 3 for reading the strongest of three, and 2 more so
# that its routine excursions do not raise the series' calibrated tail (`series_calibrate`) and
# with it the bar for every other kind of evidence (on benchmarks/series.py's tuning corpus:
# window score 35.8 with ln 3 alone, 36.6 with it; the held-out corpus was not used to choose).
SHARE = math.log(len(HORIZONS)) + 2.0


@dataclass
class Horizons:
    values: deque[float] = field(default_factory=lambda: deque(maxlen=max(HORIZONS)))
    predictions: deque[float] = field(default_factory=lambda: deque(maxlen=max(HORIZONS) + 1))
    sizes: list[float] = field(default_factory=lambda: [0.0] * len(HORIZONS))
    seen: list[float] = field(default_factory=lambda: [0.0] * len(HORIZONS))

    def dump(self) -> dict[str, Any]:
        return {
            "values": list(self.values),
            "predictions": list(self.predictions),
            "sizes": self.sizes,
            "seen": self.seen,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.values.clear()
        self.values.extend(float(v) for v in data["values"])
        self.predictions.clear()
        self.predictions.extend(float(v) for v in data["predictions"])
        self.sizes = [float(v) for v in data["sizes"]]
        self.seen = [float(v) for v in data["seen"]]

    def nats(self, value: float, prediction: float, floor: float) -> float:
        """Evidence (nats) that the deseasonalised `value` and the rows before it moved away
        from `prediction` and the predictions before it; then learns. `floor` is the one-step
        residual scale: no horizon is judged finer than a mean of independent residuals."""
        # One outlier is a spike, not a move: it counts in the mean as a 3-sigma row at most.
        reach = BOUND * floor
        self.values.append(max(prediction - reach, min(prediction + reach, value)))
        self.predictions.append(prediction)
        best = 0.0
        values = list(self.values)
        for i, horizon in enumerate(HORIZONS):
            half = horizon // 2
            if len(values) < half or len(self.predictions) <= horizon:
                continue
            diff = sum(values[-half:]) / half - self.predictions[-horizon - 1]
            size = max(self.sizes[i] * HALF_NORMAL, floor / math.sqrt(half), 1e-300)
            trusted = self.seen[i] >= WARM * horizon
            if trusted:
                best = max(best, gauss_nats(min(abs(diff) / size, 1e6)) - SHARE)
            rate = 1.0 / min(self.seen[i] + 1.0, SPAN * horizon)
            bounded = min(abs(diff), BOUND * size) if trusted else abs(diff)
            self.sizes[i] += rate * (bounded - self.sizes[i])
            self.seen[i] += 1.0
        return max(0.0, best)

    def restart(self) -> None:
        """The model was re-baselined (a confirmed shift, a new period): the stored rows and
        predictions belong to the old one, so each horizon starts filling again."""
        self.values.clear()
        self.predictions.clear()

"""A generic streaming anomaly detector for any numeric series (`tripwire detect-series` and
`metric` monitors). Makes no assumption about the series beyond "recent past predicts the
present":

- level: three robust EWMA trackers (slow, medium, fast); the one with the lowest error over
  ~100 rows predicts, so random walks and stable series are both followed well;
- seasonality: the period is detected online from the autocorrelation of the recent buffer,
  refined to the row by folding, and a per-phase profile is learned robustly; adopting a period
  restarts the trackers on it;
- scale: median absolute residual (MAD) over a long window, floored by the series' resolution
  (half its quantisation step, 1 % of its spread), so a constant run or a noiseless sine never
  gives an infinite z;
- evidence, in nats (`series_evidence`): spikes (the residual's tail probability, read through
  the series' own tail: `series_tail`), level shifts and trend breaks (two-sided CUSUM in units
  of the residuals' RMS, damped for autocorrelation), variance increases (CUSUM of the
  likelihood ratio of a doubled scale), stuck values (`series_stuck`), and changes the level
  trackers follow and so hide from the one-step residuals (bursts, drifts, trend changes): the
  newest rows against the prediction made 8-128 rows before (`series_horizon`). A CUSUM over
  RELEVEL_AT re-baselines the level: a sustained shift scores high at its start, then becomes
  the normal.
  Noise-free series are judged by their runs (rule of succession). Each kind of evidence is
  calibrated against its own history in this series (`series_calibrate`); the strongest is
  mapped to [0,1].
  Each score uses only the rows at or before it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from tripwire.detect.series_calibrate import Calibrations
from tripwire.detect.series_evidence import (
    MISS_Z,
    VAR_COST,
    VAR_GAIN,
    Z_CAP,
    succession_nats,
    to_score,
)
from tripwire.detect.series_horizon import Horizons
from tripwire.detect.series_period import MULTIPLES, detect_period, detrend
from tripwire.detect.series_stuck import Repeats
from tripwire.detect.series_tail import Tail

ALPHAS = (0.03, 0.15, 0.5)
BUFFER = 4800  # long enough to find a daily period in 1-minute data
SCALE_WINDOW = 256
FLOOR_WINDOW = 1024
RELEVEL_WINDOW = 16  # at most this many rows since the CUSUM left zero set the new level
CUSUM_K = 0.5
RELEVEL_AT = 25.0
WARMUP = 50
RAMP = 150.0
LONG = 0.998
FLOOR_NATS = 1.0
# Kinds of evidence, each calibrated on its own history: spike, shift (the CUSUMs), spread,
# stuck, drift (the multi-horizon level evidence, `series_horizon`); per kind, the rows its
# calibration waits before learning them. A stuck run's or a trend change's
# evidence climbs row by row and, learned at once, its own earlier rows made it routine before
# it was remarkable (`series_calibrate`): a slope of 4 noise sd per 100 rows in white noise
# peaked at 0.25-0.33 (six seeds; 0.33-0.36 with it). Not the spike, CUSUM or spread kinds: lagging
# every kind let the routine CUSUM excursions of noisy series score high (window score 50.4 ->
# 42.9 at 32 rows, 38.9 at 128, on the tuning corpus). The horizons apart with a lag of 64:
# 51.6 -> 53.7 (32 to 256 rows within 0.4 of it); apart without a lag, 48.0.
LAGS = [0, 0, 0, 128, 64]
PARTS = len(LAGS)
# A phase is seen once a period: at 0.1 its profile kept ~0.23 noise sd of jitter, which
# widens every seasonal residual; 0.05 halves that variance and still follows a slowly
# changing amplitude (window score 49.2 against 48.6 on the tuning corpus; 0.03: 48.7).
SEASON_RATE = 0.05
HELD_SHARE = 0.8  # a series repeating its value this often holds values: it has no noise


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


@dataclass
class SeriesDetector:
    """`score(value)` returns the anomaly score of the newest value, then learns from it."""

    count: int = 0
    levels: list[float] = field(default_factory=lambda: [0.0] * len(ALPHAS))
    errors: list[float] = field(default_factory=lambda: [0.0] * len(ALPHAS))
    period: int = 0
    season: list[float] = field(default_factory=list)
    buffer: deque[float] = field(default_factory=lambda: deque(maxlen=BUFFER))
    residuals: deque[float] = field(default_factory=lambda: deque(maxlen=SCALE_WINDOW))
    scale: float = 0.0
    up: float = 0.0
    down: float = 0.0
    up_start: int = 0
    down_start: int = 0
    last_z: float = 0.0
    z2_long: float = 1.0  # EW means over ~500 rows of z_t^2 (the residuals' RMS^2) and of
    zz_long: float = 0.0  # z_t * z_t-1 (their autocorrelation), z clipped to +-4
    repeats: Repeats = field(default_factory=Repeats)
    tail: Tail = field(default_factory=Tail)
    calibrations: Calibrations = field(default_factory=lambda: Calibrations(LAGS))
    horizons: Horizons = field(default_factory=Horizons)
    drift: float = 0.0  # nats of multi-horizon level evidence at the newest value
    stuck: float = 0.0  # nats of evidence of a stuck sensor at the newest value
    spread: float = 0.0  # CUSUM (nats) of a doubling of the residuals' scale
    nats: float = 0.0  # the newest row's evidence, before mapping to [0,1]
    quantum: float = 0.0  # the smallest step between recent distinct values
    floored: bool = False  # the scale is the resolution floor: the residuals are ~0
    held: int = 0  # length of the run of repeats that the latest change of value ended
    quiet: int = 0  # rows since the last one the model missed (neither predicted nor repeated)
    misses: int = 0  # length of the current run of missed rows
    surprise: float = 0.0  # nats of that run under the rule of succession (`succession_nats`)
    repeating: float = 0.0  # share of recent rows (~100) that repeat the value before them

    def score(self, value: float) -> float:
        """The anomaly score of `value` in [0,1], then learns from it. A value that is not a
        finite number (NaN, +-inf) is a missing row: it scores 0 and leaves the state as it was."""
        if not math.isfinite(value):
            return 0.0
        self.count += 1
        repeat = value == self.repeats.last
        if not repeat:
            self.held = self.repeats.run
        self.repeating = 0.99 * self.repeating + 0.01 * repeat
        self.stuck = self.repeats.surprise(value)
        if self.count == 1:
            self.levels = [value] * len(ALPHAS)
            self.buffer.append(value)
            return 0.0
        phase = self.count % self.period if self.period else 0
        seasonal = self.season[phase] if self.period else 0.0
        best = self._best()
        residual = value - (self.levels[best] + seasonal)
        scale = self._scale(value)
        z = max(-Z_CAP, min(Z_CAP, residual / scale))
        self._accumulate(z)
        self._count_misses(repeat or abs(z) <= MISS_Z)
        self.drift = self.horizons.nats(value - seasonal, self.levels[best], scale)
        parts = self._evidence(z) if self.count > WARMUP else [0.0] * PARTS
        self.nats = self.calibrations.nats(parts)
        if self.count > WARMUP:  # the first residuals are read on a scale still settling
            self.tail.learn(z)
        self._learn(value, residual, z, seasonal, phase, scale)
        return to_score(self.nats)

    def dump(self) -> dict[str, Any]:
        """The whole state as plain JSON (the buffers are bounded), so a `metric` monitor keeps
        what it learned across a restart of `serve`."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, deque):
                value = list(value)
            elif isinstance(value, Repeats | Tail | Calibrations | Horizons):
                value = value.dump()
            data[f.name] = value
        return data

    def load(self, data: dict[str, Any]) -> None:
        for f in fields(self):
            if f.name not in data:
                continue  # saved by an older version: that part starts afresh
            current, saved = getattr(self, f.name), data[f.name]
            if isinstance(current, deque):
                setattr(self, f.name, deque((float(x) for x in saved), maxlen=current.maxlen))
            elif isinstance(current, Repeats | Tail | Calibrations | Horizons):
                current.load(saved)
            else:
                setattr(self, f.name, saved)

    def _best(self) -> int:
        errors = self.errors
        return errors.index(min(errors))

    def _scale(self, value: float) -> float:
        floor = 1e-6 * (1.0 + abs(value)) + 1e-12
        if (self.count % 16 == 2 or self.scale <= 0 or self.count < 64) and self.residuals:
            data = [abs(r) for r in self.residuals]
            mad = 1.4826 * _median(data)
            robust, resolution = max(mad, 0.25 * sum(data) / len(data)), self._resolution()
            self.floored = mad <= resolution  # most residuals are ~0: no noise to judge by
            self.scale = max(robust, resolution)
        return max(self.scale, floor)

    def _resolution(self) -> float:
        """The smallest residual scale this series can be judged at: half its quantisation
        step (integer counts step by 1), and 1 % of its spread. Without it a constant run or
        a noiseless sine has a scale of ~0 and any rounding error is an infinite z."""
        recent = np.asarray(list(self.buffer)[-FLOOR_WINDOW:], dtype=np.float64)
        steps = np.abs(np.diff(recent))
        steps = steps[steps > 1e-9 * (1.0 + np.abs(recent[1:]))]
        if len(steps):
            self.quantum = float(steps.min())
        q75, q25 = np.percentile(recent, [75, 25]) if len(recent) > 1 else (0.0, 0.0)
        return max(0.5 * self.quantum, 0.01 * float(q75 - q25))

    def _evidence(self, z: float) -> list[float]:
        """Nats of evidence that this row is anomalous, one per kind: a spike (the residual's
        tail probability, read through the series' own tail), a level shift (CUSUM), a variance
        increase (CUSUM), a stuck run, and a change the level trackers follow (the newest rows
        against older predictions)."""
        spike, shift, spread = self.tail.nats(z), max(self.up, self.down), self.spread
        drift = self.drift
        if self.floored or self.repeating > HELD_SHARE:
            # A series without noise (flat, piecewise constant, a noiseless curve: most residuals
            # ~0, or most values repeat the one before) has no scale
            # to judge a change by: a change is only as surprising as the rule of succession
            # makes it (after k unchanged rows, ~1/(k+1)), `held` being the run it ended;
            # where the values change but the model predicted them (a noiseless sine), as the
            # run of missed rows is under that rule after the rows it predicted (in a series that
            # holds its values, two changes in a row are routine: a run of one value).
            runs = math.log1p(self.held)
            cap = FLOOR_NATS + (runs if self.repeating > HELD_SHARE else max(runs, self.surprise))
            spike, shift, spread, drift = (min(part, cap) for part in (spike, shift, spread, drift))
        # The first rows' scale is a guess: their evidence counts fully only after RAMP rows.
        trust = min(1.0, (self.count - WARMUP) / RAMP)
        return [trust * part for part in (spike, shift, spread, self.stuck, drift)]

    def _count_misses(self, predicted: bool) -> None:
        """The run of rows the model missed and its nats under the rule of succession: a step
        in a noiseless sine repeats no value, so the run of repeats said nothing of it (it
        scored 0.038 on every row, at 1 nat), while each of its rows is a miss after
        thousands of rows predicted to the resolution."""
        if predicted:
            self.quiet = 1 if self.misses else self.quiet + 1
            self.misses, self.surprise = 0, 0.0
            return
        self.surprise += succession_nats(self.quiet, self.misses)
        self.misses += 1

    def _accumulate(self, z: float) -> None:
        """The CUSUMs, on residuals in units of their own long-run RMS (never smaller than the
        robust scale): a robust scale that under-reads the spread of discrete or heavy-tailed
        residuals must not make every CUSUM creep up."""
        clipped_z = max(-4.0, min(4.0, z))
        unit = math.sqrt(max(1.0, self.z2_long))
        # Autocorrelated residuals (an AR series, a model that lags) make sums of z wander
        # further than independent ones would: shrink the CUSUM steps by the AR(1) variance
        # inflation. Read over ~500 rows, so a new sustained offset is not explained away as
        # autocorrelation within a few rows.
        rho = min(0.95, max(0.0, self.zz_long / max(self.z2_long, 1e-9)))
        self.z2_long = LONG * self.z2_long + (1.0 - LONG) * clipped_z * clipped_z
        self.zz_long = LONG * self.zz_long + (1.0 - LONG) * clipped_z * self.last_z
        step = clipped_z / unit * math.sqrt((1.0 - rho) / (1.0 + rho))
        self.last_z = clipped_z
        if self.up == 0.0:
            self.up_start = self.count
        if self.down == 0.0:
            self.down_start = self.count
        self.up = max(0.0, self.up + step - CUSUM_K)
        self.down = max(0.0, self.down - step - CUSUM_K)
        ratio = min(z * z / (unit * unit), 16.0)
        self.spread = max(0.0, self.spread + VAR_GAIN * ratio - VAR_COST)

    def _learn(
        self, value: float, residual: float, z: float, seasonal: float, phase: int, scale: float
    ) -> None:
        # Huber-style: an outlier moves the model only as far as a 3-sigma point would.
        bound = 3.0 * scale if self.count > 2 * WARMUP else math.inf
        target = value - seasonal
        for j, alpha in enumerate(ALPHAS):
            err = target - self.levels[j]
            # The predictor is chosen on ~100 rows of errors, not ~20: a quick choice hands
            # the forecast to the fastest tracker as soon as a drift or shift starts, which
            # then follows the anomaly instead of exposing it.
            self.errors[j] = 0.99 * self.errors[j] + 0.01 * min(abs(err), bound)
            self.levels[j] += alpha * max(-bound, min(bound, err))
        if self.period:
            best = self._best()
            dev = value - self.levels[best] - seasonal
            self.season[phase] += SEASON_RATE * max(-bound, min(bound, dev))
        self.residuals.append(max(-bound * 2, min(bound * 2, residual)))
        self.buffer.append(value)
        if max(self.up, self.down, self.spread) > RELEVEL_AT:
            self._relevel()
        if self.count % (64 if self.count <= 1024 else 128) == 0:
            self._refresh_period()
        elif self._multiple_fits():
            self._refresh_period(multiple_only=True)

    def _relevel(self) -> None:
        """A confirmed level shift becomes the new normal quickly, so it is not scored forever."""
        # The values since the CUSUM last sat at zero are the new level (at most the short window).
        since = self.up_start if self.up >= self.down else self.down_start
        if self.spread > max(self.up, self.down):  # a wider spread, or an offset it sees first
            since = self.count - RELEVEL_WINDOW
        self._rebase(max(2, min(RELEVEL_WINDOW, self.count - since + 1)))
        self.spread = 0.0

    def _rebase(self, size: int) -> None:
        """Every level tracker restarts at the deseasonalised median of the last `size` values,
        and the CUSUMs at zero."""
        tail = list(self.buffer)[-size:]
        phase0 = self.count - len(tail) + 1
        deseason = [
            v - (self.season[(phase0 + i) % self.period] if self.period else 0.0)
            for i, v in enumerate(tail)
        ]
        level = _median(deseason)
        self.horizons.restart()  # its stored rows and predictions belong to the old level
        self.levels = [level] * len(ALPHAS)
        self.up = self.down = 0.0

    def _multiple_fits(self) -> bool:
        """The buffer has just come to hold two of a multiple (2-7) of the period: the first
        row at which `detect_period` can read it. Waiting for the next regular refresh (up to
        127 rows) left a weekly pattern judged as daily into its third Monday, which paged."""
        period = self.period
        if not period or self.count % (2 * period) or self.count > BUFFER:
            return False
        return 2 <= self.count // (2 * period) <= MULTIPLES

    def _refresh_period(self, multiple_only: bool = False) -> None:
        data = np.asarray(self.buffer, dtype=np.float64)
        period = detect_period(data)
        if period == self.period:
            return
        if multiple_only and (period <= self.period or period % self.period):
            return  # only a multiple is looked for here; other changes wait for their turn
        self.period = period
        if not period:
            self.season = []
            self._rebase(RELEVEL_WINDOW)
            return
        detrended = detrend(data, period)
        start = self.count - len(data) + 1  # phase of the buffer's first value
        profile = [0.0] * period
        for p in range(period):
            picks = detrended[(p - start) % period :: period]
            picks = picks[np.isfinite(picks)]
            profile[p] = float(np.median(picks)) if len(picks) else 0.0
        centre = float(np.mean(profile))
        self.season = [v - centre for v in profile]
        # The trackers followed the seasonal swing until now: they restart on the
        # deseasonalised level, or the new profile would read as a level shift.
        self._rebase(RELEVEL_WINDOW)
        self.spread = 0.0

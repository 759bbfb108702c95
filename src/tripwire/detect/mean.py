"""Means of sparse scores in [0,1] (quality, groundedness): CUSUM on the evidence of each window
against a learned mean, variance and histogram. Windows without scores add nothing, so an
evaluator gap delays detection but never raises an alert.

Each design is an exponential tilt of the learned distribution toward lower (or higher) scores:
its evidence for a window of `n` scores summing to `S` is `lam * sign * (S - n*mu) - n*psi(lam)`,
where `psi` is the log moment-generating function of the learned histogram. That is an exact
log-likelihood ratio for any score distribution, so the CUSUM keeps its nominal false-alarm
rate on skewed, bounded scores (a judge that says 0.9-1.0 and sometimes 0.3) where a Gaussian
test alarms on a few low scores. With Gaussian scores it is the Gaussian test; windows that
carry no histogram (older state) fall back to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tripwire.detect.baseline import BINS, MeanBaseline
from tripwire.detect.change import Change
from tripwire.detect.cusum import CusumBank
from tripwire.detect.episode import Episode, EpisodeDetector
from tripwire.detect.rate import GROWTH_MIN, lines, relieved, weekly_volume

CENTRES = [(b + 0.5) / BINS for b in range(BINS)]
# The recent spread of the scores, against which the reference's is checked: a noisy version
# (same mean, wider scores) makes every tilt test spend several times its budget, so the
# reference is widened to the spread seen in the last few hours (see `MeanDetector._widen`).
SPREAD_HALF_LIFE = 240.0  # minutes
SPREAD_MIN_COUNT = 30.0  # scores behind a recent spread before it is believed
WIDEN_STEP = 0.1  # widening factors are rounded to this (1.0, 1.1, ...): tilts are cached
SPREAD_SE = 3.0  # standard errors of the recent spread before the reference is widened
# While an alert fires: the further shifts past its own level (in baseline standard deviations)
# that grow it (detect/rate.py's module doc: a graver problem behind an alert that still fires).
GROWTH_SHIFTS = (0.6, 1.2, 2.5)


@dataclass(frozen=True, slots=True)
class Reference:
    """What a window is judged against: mean, standard deviation and (if learned) the
    distribution per histogram bin."""

    mu: float
    sd: float
    shape: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class MeanParams:
    """`shifts`: the drops (in baseline standard deviations) each design is tuned to;
    `direction`: -1 watches for drops, +1 for rises; `min_count`: scores behind any alert;
    `warmup_*`: scores and elapsed minutes the baseline needs before it may alert."""

    shifts: tuple[float, ...] = (0.3, 0.6, 1.2, 2.5)
    threshold: float = 6.0
    budget: float = 0.2  # false alarms per stream-week the lines are set for
    margin: float = 0.3
    direction: int = -1
    min_count: float = 20.0
    warmup_count: float = 300.0
    warmup_minutes: int = 1440  # every hour of the day seen once
    clear_threshold: float = 7.0
    min_firing_minutes: int = 30


def log_mgf(ref: Reference, lam: float) -> float:
    """log E[exp(lam * (X - mu))] under the reference (Gaussian without a histogram)."""
    if ref.shape is None:
        return lam * lam * ref.sd * ref.sd / 2
    centre = sum(p * x for p, x in zip(ref.shape, CENTRES, strict=True))
    exps = [lam * (x - centre) for x, p in zip(CENTRES, ref.shape, strict=True) if p > 0]
    top = max(exps)
    weights = [p for p in ref.shape if p > 0]
    return top + math.log(sum(p * math.exp(e - top) for p, e in zip(weights, exps, strict=True)))


def kurtosis(ref: Reference) -> float:
    """The reference's kurtosis (3 without a histogram: Gaussian)."""
    if ref.shape is None:
        return 3.0
    centre = sum(p * x for p, x in zip(ref.shape, CENTRES, strict=True))
    m2 = sum(p * (x - centre) ** 2 for p, x in zip(ref.shape, CENTRES, strict=True))
    m4 = sum(p * (x - centre) ** 4 for p, x in zip(ref.shape, CENTRES, strict=True))
    return m4 / (m2 * m2) if m2 > 0 else 3.0


@dataclass
class MeanDetector(EpisodeDetector):
    """`update(minute, count, total, squares, hist)` per closed window; returns a Change when
    the verdict flips (see RateDetector for the firing and recovery rules). `budget`, when
    set, overrides the params' (the engine's share of the use case's budget)."""

    params: MeanParams = field(default_factory=MeanParams)
    baseline: MeanBaseline = field(default_factory=MeanBaseline)
    bank: CusumBank = field(init=False)
    growth: CusumBank = field(init=False)  # while firing: evidence for "past the alert's level"
    since: list[float] = field(default_factory=lambda: [0.0, 0.0])  # scores, sum since the alert
    episode: Episode = field(init=False)
    lines_at: int = -(10**9)
    budget: float | None = None
    relief: float = 0.0  # nats off the lines while the engine sees corroboration
    full: list[float] = field(init=False)  # the lines before any relief
    volume_hint: float = 0.0  # scores per week expected from elsewhere (rate.weekly_volume)
    _psi: tuple[Reference, float, list[float], list[float]] | None = field(default=None, repr=False)
    # Decayed count, sum and sum of squares of the recent scores (half-life SPREAD_HALF_LIFE).
    recent: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    recent_at: int | None = None
    _kurt: tuple[Reference, float] | None = field(default=None, repr=False)
    _own: tuple[int, Reference] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.full = [self.params.threshold] * len(self.params.shifts)
        self.bank = CusumBank(list(self.full))
        self.growth = CusumBank([self.params.threshold] * len(GROWTH_SHIFTS))
        self.episode = Episode(rising=self.params.direction > 0)

    def _lines(self, minute: int) -> None:
        if minute - self.lines_at < 60:
            return
        self.lines_at = minute
        self._psi = None  # refit the tilts to what the baseline learned since
        p = self.params
        infos = [c * c / 2 for c in p.shifts]  # Gaussian KL per observation, in sd units
        weekly = weekly_volume(self.baseline.weekly_count(minute), self.volume_hint)
        self.full = lines(weekly, self._budget(), infos, p.threshold, p.margin)
        grow = [c * c / 2 for c in GROWTH_SHIFTS]
        self.growth.thresholds = lines(weekly, self._budget(), grow, p.threshold, p.margin)

    def _tilts(self, ref: Reference, widen: float = 1.0) -> tuple[list[float], list[float]]:
        """Per design: the tilt (per unit of score) and its log-MGF, cached per reference and
        widening. With the reference's deviations scaled by `widen` the log-MGF of a tilt
        `lam` is the reference's at `lam * widen`: an exact test against the wider scores."""
        if self._psi is None or self._psi[0] is not ref or self._psi[1] != widen:
            sign = self.params.direction
            lams = [sign * c / (ref.sd * widen) for c in self.params.shifts]
            self._psi = (ref, widen, lams, [log_mgf(ref, lam * widen) for lam in lams])
        return self._psi[2], self._psi[3]

    def _remember(self, minute: int, count: float, total: float, squares: float) -> None:
        """Add a window to the recent spread (all windows: a noisy version is not learned as
        normal while the bank is up, but its spread must still be seen)."""
        if self.recent_at is not None and minute > self.recent_at:
            d = 0.5 ** ((minute - self.recent_at) / SPREAD_HALF_LIFE)
            self.recent = [x * d for x in self.recent]
        self.recent_at = minute
        for i, x in enumerate((count, total, squares)):
            self.recent[i] += x

    def _widen(self, ref: Reference) -> float:
        """How much wider than the reference's the recent scores are spread (1.0: not),
        rounded to WIDEN_STEP. The spread is about the recent mean, so a drop of the mean
        (what the tests are for) does not widen it; a noisy version does. A spread within
        SPREAD_SE standard errors of the reference's is sampling noise (large for skewed
        scores, whose few low ones swing it), not a wider distribution."""
        c, s, q = self.recent
        if c < SPREAD_MIN_COUNT:
            return 1.0
        sd = math.sqrt(max(q / c - (s / c) ** 2, 0.0))
        ratio = sd / ref.sd
        # An exponentially weighted sum of c scores weighs like about 2c equal ones.
        if self._kurt is None or self._kurt[0] is not ref:
            self._kurt = (ref, kurtosis(ref))
        noise = 0.5 * math.sqrt(max(self._kurt[1] - 1.0, 0.0) / (2.0 * c))
        if ratio < 1.0 + SPREAD_SE * noise or ratio < 1.0 + WIDEN_STEP / 2:
            return 1.0
        return round(ratio / WIDEN_STEP) * WIDEN_STEP

    def ready(self) -> bool:
        p = self.params
        return self.baseline.ready(p.warmup_count, p.warmup_minutes)

    def reference(self) -> Reference | None:
        """The baseline as a Reference, refreshed once an hour with the lines (its tilts are
        worth caching; a baseline with a half-life of days barely moves in an hour)."""
        if not self.ready():
            return None
        if self._own is None or self._own[0] != self.lines_at:
            b = self.baseline
            shape = b.shape()
            ref = Reference(b.mean(), b.sd(), None if shape is None else tuple(shape))
            self._own = (self.lines_at, ref)
        return self._own[1]

    def update(
        self,
        minute: int,
        count: float,
        total: float,
        squares: float,
        fallback: Reference | None = None,
        hist: Sequence[float] | None = None,
    ) -> Change | None:
        ref = self.reference() or fallback
        if ref is None:
            self.baseline.learn(minute, count, total, squares, hist)
            return None
        if count <= 0:
            return None
        self._remember(minute, count, total, squares)
        if self.firing is not None:
            grown = self._grown(minute, count, total, ref)
            if grown is not None:
                return grown
            return self._recover(minute, count, total, ref.mu, ref.sd)
        change = self._detect(minute, count, total, ref)
        if change is None and self.bank.peak() < 0.5:
            self.baseline.learn(minute, count, total, squares, hist)
        return change

    def shadow(
        self,
        minute: int,
        count: float,
        total: float,
        squares: float,
        hist: Sequence[float] | None = None,
    ) -> None:
        """Learn a window without judging it (a version that is all of its use case's traffic,
        watched by the total): its baseline and recent spread, ready for when it is not."""
        if count <= 0:
            return
        self._remember(minute, count, total, squares)
        self.baseline.learn(minute, count, total, squares, hist)

    def _llr(self, count: float, total: float, mu: float, mu1: float, sd: float) -> float:
        # Gaussian log-likelihood ratio of `count` observations summing to `total`.
        return ((mu1 - mu) * (total - count * mu) - count * (mu1 - mu) ** 2 / 2) / sd**2

    def _detect(self, minute: int, count: float, total: float, ref: Reference) -> Change | None:
        self._lines(minute)
        self.bank.thresholds = relieved(self.full, self.relief)
        lams, psis = self._tilts(ref, self._widen(ref))
        excess = total - count * ref.mu
        llrs = [lam * excess - count * psi for lam, psi in zip(lams, psis, strict=True)]
        crossing = self.bank.step(minute, llrs, [count, total, count * ref.mu])
        if crossing is None:
            return None
        n, s, expected = crossing.sums
        if n < self.params.min_count:
            return None
        self._restart_growth()
        return self.episode.fire(crossing.start, minute, expected / n, s / n)

    def _grown(self, minute: int, count: float, total: float, ref: Reference) -> Change | None:
        """The firing alert grown to a graver level, or None: exponential tilts of the learned
        distribution, moved to the alert's own level (the mean it reported, or the one shown
        since where that is further out), `GROWTH_SHIFTS` further, as the rise's are."""
        d, p = self.params.direction, self.params
        self.since = [self.since[0] + count, self.since[1] + total]
        level = max(self.episode.seen, self.since[1] / self.since[0], key=lambda x: d * x)
        widen = self._widen(ref)
        lams = [d * c / (ref.sd * widen) for c in GROWTH_SHIFTS]
        excess = total - count * level
        llrs = [lam * excess - count * log_mgf(ref, lam * widen) for lam in lams]
        crossing = self.growth.step(minute, llrs, [count, total, count * ref.mu])
        if crossing is None:
            return None
        n, s, _ = crossing.sums
        if n < p.min_count or d * (s / n - ref.mu) < GROWTH_MIN * d * (level - ref.mu):
            return None
        self._restart_growth()
        return self.episode.grow(minute, s / n)

    def _recover(
        self, minute: int, count: float, total: float, mu: float, sd: float
    ) -> Change | None:
        low = mu + 0.5 * (self.episode.seen - mu)
        if abs(low - mu) < 0.05 * sd:
            low = mu + self.params.direction * 0.05 * sd
        llr = self._llr(count, total, low, mu, sd)
        # The support: the reported mean against the baseline (Episode's module doc).
        seen = self.episode.seen
        if abs(seen - mu) < 0.1 * sd:
            seen = mu + self.params.direction * 0.1 * sd
        return self._settle(minute, llr, self._llr(count, total, mu, seen, sd))

    def dump(self) -> dict[str, Any]:
        return {**super().dump(), "w": [*self.recent, self.recent_at]}

    def load(self, data: dict[str, Any]) -> None:
        super().load(data)
        saved = data.get("w")  # absent in state saved before the recent spread was kept
        if saved:
            self.recent = [float(x) for x in saved[:3]]
            self.recent_at = None if saved[3] is None else int(saved[3])

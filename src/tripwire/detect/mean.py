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

from tripwire.detect.baseline import BINS, MeanBaseline
from tripwire.detect.change import Change
from tripwire.detect.cusum import CusumBank
from tripwire.detect.episode import Episode, EpisodeDetector
from tripwire.detect.rate import lines, relieved

CENTRES = [(b + 0.5) / BINS for b in range(BINS)]


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


@dataclass
class MeanDetector(EpisodeDetector):
    """`update(minute, count, total, squares, hist)` per closed window; returns a Change when
    the verdict flips (see RateDetector for the firing and recovery rules). `budget`, when
    set, overrides the params' (the engine's share of the use case's budget)."""

    params: MeanParams = field(default_factory=MeanParams)
    baseline: MeanBaseline = field(default_factory=MeanBaseline)
    bank: CusumBank = field(init=False)
    episode: Episode = field(init=False)
    lines_at: int = -(10**9)
    budget: float | None = None
    relief: float = 0.0  # nats off the lines while the engine sees corroboration
    full: list[float] = field(init=False)  # the lines before any relief
    _psi: tuple[Reference, list[float], list[float]] | None = field(default=None, repr=False)
    _own: tuple[int, Reference] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.full = [self.params.threshold] * len(self.params.shifts)
        self.bank = CusumBank(list(self.full))
        self.episode = Episode(rising=self.params.direction > 0)

    def _lines(self, minute: int) -> None:
        if minute - self.lines_at < 60:
            return
        self.lines_at = minute
        self._psi = None  # refit the tilts to what the baseline learned since
        p = self.params
        infos = [c * c / 2 for c in p.shifts]  # Gaussian KL per observation, in sd units
        weekly = self.baseline.weekly_count(minute)
        # The use case's share never loosens a line past the detector's own default.
        budget = p.budget if self.budget is None else min(p.budget, self.budget)
        self.full = lines(weekly, budget, infos, p.threshold, p.margin)

    def _tilts(self, ref: Reference) -> tuple[list[float], list[float]]:
        """Per design: the tilt (per unit of score) and its log-MGF, cached per reference."""
        if self._psi is None or self._psi[0] is not ref:
            sign = self.params.direction
            lams = [sign * c / ref.sd for c in self.params.shifts]
            self._psi = (ref, lams, [log_mgf(ref, lam) for lam in lams])
        return self._psi[1], self._psi[2]

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
        if self.firing is not None:
            return self._recover(minute, count, total, ref.mu, ref.sd)
        change = self._detect(minute, count, total, ref)
        if change is None and self.bank.peak() < 0.5:
            self.baseline.learn(minute, count, total, squares, hist)
        return change

    def _llr(self, count: float, total: float, mu: float, mu1: float, sd: float) -> float:
        # Gaussian log-likelihood ratio of `count` observations summing to `total`.
        return ((mu1 - mu) * (total - count * mu) - count * (mu1 - mu) ** 2 / 2) / sd**2

    def _detect(self, minute: int, count: float, total: float, ref: Reference) -> Change | None:
        self._lines(minute)
        self.bank.thresholds = relieved(self.full, self.relief)
        lams, psis = self._tilts(ref)
        excess = total - count * ref.mu
        llrs = [lam * excess - count * psi for lam, psi in zip(lams, psis, strict=True)]
        crossing = self.bank.step(minute, llrs, [count, total, count * ref.mu])
        if crossing is None:
            return None
        n, s, expected = crossing.sums
        if n < self.params.min_count:
            return None
        return self.episode.fire(crossing.start, minute, expected / n, s / n)

    def _recover(
        self, minute: int, count: float, total: float, mu: float, sd: float
    ) -> Change | None:
        low = mu + 0.5 * (self.episode.seen - mu)
        if abs(low - mu) < 0.05 * sd:
            low = mu + self.params.direction * 0.05 * sd
        llr = self._llr(count, total, low, mu, sd)
        return self._settle(minute, llr)

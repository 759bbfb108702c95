"""Means of sparse scores in [0,1] (quality, groundedness): CUSUM on the standardised evidence
of each window against a learned mean and variance. Windows without scores add nothing, so an
evaluator gap delays detection but never raises an alert."""

from __future__ import annotations

from dataclasses import dataclass, field

from tripwire.detect.baseline import MeanBaseline
from tripwire.detect.change import Change
from tripwire.detect.cusum import CusumBank
from tripwire.detect.episode import Episode, EpisodeDetector
from tripwire.detect.rate import lines


@dataclass(frozen=True, slots=True)
class MeanParams:
    """`shifts`: the drops (in baseline standard deviations) each design is tuned to;
    `direction`: -1 watches for drops, +1 for rises."""

    shifts: tuple[float, ...] = (0.3, 0.6, 1.2, 2.5)
    threshold: float = 6.0
    budget: float = 0.2  # bounded, skewed scores break the Gaussian tails: be stricter
    margin: float = 0.3
    direction: int = -1
    min_count: float = 10.0
    warmup_count: float = 300.0
    clear_threshold: float = 7.0
    min_firing_minutes: int = 30


@dataclass
class MeanDetector(EpisodeDetector):
    """`update(minute, count, total, squares)` per closed window; returns a Change when the
    verdict flips (see RateDetector for the firing and recovery rules)."""

    params: MeanParams = field(default_factory=MeanParams)
    baseline: MeanBaseline = field(default_factory=MeanBaseline)
    bank: CusumBank = field(init=False)
    episode: Episode = field(init=False)
    lines_at: int = -(10**9)

    def __post_init__(self) -> None:
        self.bank = CusumBank([self.params.threshold] * len(self.params.shifts))
        self.episode = Episode(rising=self.params.direction > 0)

    def _lines(self, minute: int) -> None:
        if minute - self.lines_at < 60:
            return
        self.lines_at = minute
        p = self.params
        infos = [c * c / 2 for c in p.shifts]  # Gaussian KL per observation, in sd units
        weekly = self.baseline.weekly_count(minute)
        self.bank.thresholds = lines(weekly, p.budget, infos, p.threshold, p.margin)

    def ready(self) -> bool:
        return self.baseline.ready(self.params.warmup_count)

    def reference(self) -> tuple[float, float] | None:
        return (self.baseline.mean(), self.baseline.sd()) if self.ready() else None

    def update(
        self,
        minute: int,
        count: float,
        total: float,
        squares: float,
        fallback: tuple[float, float] | None = None,
    ) -> Change | None:
        ref = self.reference() or fallback
        if ref is None:
            self.baseline.learn(minute, count, total, squares)
            return None
        if count <= 0:
            return None
        mu, sd = ref
        if self.firing is not None:
            return self._recover(minute, count, total, mu, sd)
        change = self._detect(minute, count, total, mu, sd)
        if change is None and self.bank.peak() < 0.5:
            self.baseline.learn(minute, count, total, squares)
        return change

    def _llr(self, count: float, total: float, mu: float, mu1: float, sd: float) -> float:
        # Gaussian log-likelihood ratio of `count` observations summing to `total`.
        return ((mu1 - mu) * (total - count * mu) - count * (mu1 - mu) ** 2 / 2) / sd**2

    def _detect(
        self, minute: int, count: float, total: float, mu: float, sd: float
    ) -> Change | None:
        self._lines(minute)
        sign = self.params.direction
        llrs = [self._llr(count, total, mu, mu + sign * c * sd, sd) for c in self.params.shifts]
        crossing = self.bank.step(minute, llrs, [count, total, count * mu])
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

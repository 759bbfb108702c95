"""Rates (negative feedback, safety triggers, errors, ticket topics): sequential change
detection against a seasonal baseline, volume-aware because evidence accrues per trial.

While an alert fires, its rise test against the baseline has nothing more to say, so a second
test watches the alert's own level: a graver surge on the same stream (a real tenfold step
behind a chance excursion that has not cleared) grows the alert instead of going unheard
(docs/detect.md, "An alert that grows")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from tripwire.detect.baseline import SeasonalRate
from tripwire.detect.change import Change
from tripwire.detect.cusum import CusumBank
from tripwire.detect.episode import CONFIRM, Episode, EpisodeDetector

Kind = Literal["bernoulli", "poisson"]


@dataclass(frozen=True, slots=True)
class RateParams:
    """`ratios`: the rises each CUSUM design is tuned to; `threshold`: the alerting line in
    nats (log-likelihood ratio); `min_events` and `min_trials`: volume guards on the evidence
    since the estimated onset; `warmup_*`: how much history the baseline needs first."""

    ratios: tuple[float, ...] = (1.5, 2.0, 3.0, 6.0)
    threshold: float = 6.0  # floor of every design's line
    budget: float = 0.5  # false alarms per stream-week the lines are set for
    margin: float = 0.3  # extra nats for what the baseline does not know
    kind: Kind = "bernoulli"
    min_events: float = 5.0
    min_trials: float = 20.0
    warmup_minutes: int = 1440  # a full day, so every hour of the day has been seen once
    warmup_events: float = 10.0
    clear_threshold: float = 7.0
    min_firing_minutes: int = 15


def _llr(kind: Kind, n: float, k: float, p0: float, p1: float) -> float:
    if kind == "poisson":
        return k * math.log(p1 / p0) - n * (p1 - p0)
    return k * math.log(p1 / p0) + (n - k) * math.log((1.0 - p1) / (1.0 - p0))


def _kl(kind: Kind, p0: float, p1: float) -> float:
    """Per-trial information of a healthy trial against the design (the false-alarm clock)."""
    if kind == "poisson":
        return p1 - p0 - p0 * math.log(p1 / p0)
    return p0 * math.log(p0 / p1) + (1.0 - p0) * math.log((1.0 - p0) / (1.0 - p1))


def lines(
    weekly: float, budget: float, infos: list[float], floor: float, margin: float
) -> list[float]:
    """Alerting lines for a target false-alarm rate: a CUSUM on a healthy stream crosses h about
    once per e^h / KL trials, shared between the designs."""
    designs = len(infos)
    return [max(floor, math.log(max(weekly * designs * kl / budget, 1.0)) + margin) for kl in infos]


def weekly_volume(own: float, hint: float) -> float:
    """The volume a bank's lines are set for: its own baseline's, or the hint while that is
    larger. A series that has just begun (a new version) has learned next to nothing, and a
    line set for a volume of almost zero sits on the floor, several nats under its budget's,
    for the hour until the lines are recomputed: a noisy version's first windows crossed it."""
    return max(own, hint)


# A corroborated line may come down this far and no further: below it a CUSUM on a healthy
# stream crosses several times a day, whatever another monitor says.
RELIEF_FLOOR = 4.0


def relieved(full: list[float], relief: float) -> list[float]:
    """The lines lowered by `relief` nats (another monitor of the same use case and incident
    type is firing: that corroboration is worth a likelihood ratio of e^relief), but never
    below `RELIEF_FLOOR`, nor raised where a line already sits under it."""
    if relief <= 0.0:
        return full
    return [min(h, max(RELIEF_FLOOR, h - relief)) for h in full]


# How far past the alert's own level a growth design looks: only a surge of at least twice the
# reported rate is news (a ramp's small steps are the same problem, already raised).
GROWTH_RATIOS = (2.0, 3.0, 6.0)
# A growth is reported only when the rate it measured is this far over the alert's level.
GROWTH_MIN = 1.5


def _p1(kind: Kind, p0: float, ratio: float) -> float:
    if kind == "poisson":
        return p0 * ratio
    return min(p0 * ratio, (1.0 + p0) / 2.0)


def _reported(kind: Kind, seen: float, p0: float) -> float:
    """The level an alert's support tests against the baseline `p0`: what it reported, at
    least 5 % over the baseline, and under 1 for a share (a rate of 1 has no likelihood ratio)."""
    reported = max(seen, p0 * 1.05)
    return min(reported, (1.0 + p0) / 2.0) if kind == "bernoulli" else reported


@dataclass
class RateDetector(EpisodeDetector):
    """Feed one closed window at a time with `update`; returns a Change when the verdict flips.

    While a change is firing the baseline is frozen (it must not learn the incident as normal)
    and the episode's recovery test decides when it is over."""

    params: RateParams = field(default_factory=RateParams)
    baseline: SeasonalRate = field(default_factory=SeasonalRate)
    bank: CusumBank = field(init=False)
    growth: CusumBank = field(init=False)  # while firing: evidence for "past the alert's level"
    since: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])  # trials, events, expected
    episode: Episode = field(init=False)
    lines_at: int = -(10**9)
    budget: float | None = None  # the engine's share of the use case's budget, if set
    relief: float = 0.0  # nats off the lines while the engine sees corroboration
    full: list[float] = field(init=False)  # the lines before any relief
    # Trials per week expected from elsewhere (a new segment: its share of the total's) while
    # the baseline has seen too little to say (see `weekly_volume`).
    volume_hint: float = 0.0

    def __post_init__(self) -> None:
        self.full = [self.params.threshold] * len(self.params.ratios)
        self.bank = CusumBank(list(self.full))
        self.growth = CusumBank([self.params.threshold] * len(GROWTH_RATIOS))
        self.episode = Episode(rising=True)

    def _lines(self, minute: int) -> None:
        if minute - self.lines_at < 60:
            return
        self.lines_at = minute
        p, kind = self.params, self.params.kind
        p0 = min(self.baseline.overall(), 0.999)
        infos = [_kl(kind, p0, _p1(kind, p0, r)) for r in p.ratios]
        weekly = weekly_volume(self.baseline.weekly_trials(minute), self.volume_hint)
        self.full = lines(weekly, self._budget(), infos, p.threshold, p.margin)

    def ready(self) -> bool:
        p = self.params
        return self.baseline.ready(p.warmup_events, p.warmup_minutes)

    def expected(self, minute: int) -> float | None:
        return self.baseline.cautious(minute) if self.ready() else None

    def update(
        self, minute: int, n: float, k: float, fallback: float | None = None
    ) -> Change | None:
        """One window ending at `minute` with `n` trials and `k` events. `fallback` is the
        expected rate to use while this series' own baseline is still warming up (a segment
        borrows its use case's)."""
        p0 = self.expected(minute)
        if p0 is None:
            p0 = fallback
        if p0 is None:
            self.baseline.learn(minute, n, k)
            return None
        if self.firing is not None:
            return self._recover(minute, n, k, p0)
        change = self._detect(minute, n, k, p0)
        if change is None and self.bank.peak() < 0.5:
            self.baseline.learn(minute, n, k)
        return change

    def _detect(self, minute: int, n: float, k: float, p0: float) -> Change | None:
        if n <= 0 and k <= 0:
            return None
        self._lines(minute)
        self.bank.thresholds = relieved(self.full, self.relief)
        crossing = self.bank.step(minute, self._llrs(n, k, p0, self.params.ratios), [n, k, n * p0])
        if crossing is None:
            return None
        trials, events, expected = crossing.sums
        if events < self.params.min_events or trials < self.params.min_trials:
            return None
        seen = self._seen(trials, events, expected)
        self._restart_growth()
        pace = trials / max(minute - crossing.start + 1, 1)
        base = self._base(minute, trials, expected)
        return self.episode.fire(
            crossing.start, minute, base, seen, events, self._confirm_in(pace, seen, p0)
        )

    def _confirm_in(self, trials_per_minute: float, seen: float, p0: float) -> float | None:
        """Minutes the episode's support (`_settle_rate`) takes, on average, to confirm a real
        change at the reported rate `seen` at this pace of trials: a dense stream's surge
        confirms in minutes, a sparse one's in hours (None: no support can accrue)."""
        kind = self.params.kind
        info = trials_per_minute * _kl(kind, _reported(kind, seen, p0), p0)  # nats a minute
        return CONFIRM / info if info > 0 else None

    def _base(self, minute: int, trials: float, expected: float) -> float:
        """The rate an alert's size is read against: the crossing's expected rate brought back
        from the cautious baseline to the learned one. The caution sets the test's lines (a
        baseline built on little data must not page); read into the size, it would hold a true
        3x surge under a severity rule's 2.5x line."""
        cautious = self.expected(minute)  # None while a fallback rate stands in: kept as is
        if not cautious:
            return expected / trials
        return expected / trials * min(1.0, self.baseline.expected(minute) / cautious)

    def _llrs(self, n: float, k: float, p0: float, ratios: tuple[float, ...]) -> list[float]:
        """Each design's log-likelihood ratio for one window against the rate `p0` (a subclass
        may model counts differently)."""
        kind = self.params.kind
        return [_llr(kind, n, k, p0, _p1(kind, p0, r)) for r in ratios]

    def _grown(self, minute: int, n: float, k: float, p0: float) -> Change | None:
        """The firing alert grown to a graver level (the module's doc), or None. Its designs
        test the alert's own level against `GROWTH_RATIOS` times it, with lines set for the
        rise's budget at that level."""
        kind, p = self.params.kind, self.params
        self.since = [a + b for a, b in zip(self.since, (n, k, n * p0), strict=True)]
        # The alert's level: what it reported, or what it has shown since where that is more
        # (an alert raised early in a rise reports less than the rise reached, and a growth
        # test against the lower figure would re-raise the same problem by chance).
        shown = self._seen(*self.since) if self.since[0] > 0 else 0.0
        seen = max(self.episode.seen, shown)
        if not 0.0 < seen * GROWTH_MIN <= _p1(kind, seen, GROWTH_RATIOS[0]):
            return None  # no room to grow (a rate of one half can at most double)
        infos = [_kl(kind, seen, _p1(kind, seen, r)) for r in GROWTH_RATIOS]
        weekly = weekly_volume(self.baseline.weekly_trials(minute), self.volume_hint)
        self.growth.thresholds = lines(weekly, self._budget(), infos, p.threshold, p.margin)
        llrs = self._llrs(n, k, seen, GROWTH_RATIOS)
        crossing = self.growth.step(minute, llrs, [n, k, n * p0])
        if crossing is None:
            return None
        trials, events, expected = crossing.sums
        if events < p.min_events or trials < p.min_trials:
            return None
        level = self._seen(trials, events, expected)
        if level < seen * GROWTH_MIN:
            return None
        self._restart_growth()
        return self.episode.grow(minute, level, events)

    def _seen(self, trials: float, events: float, expected: float) -> float:
        """The rate reported at alert, over the crossing's windows."""
        return events / trials

    def _recover(self, minute: int, n: float, k: float, p0: float) -> Change | None:
        if n <= 0 and k <= 0:
            return self._settle(minute, 0.0, 0.0)
        grown = self._grown(minute, n, k, p0)
        if grown is not None:
            return grown
        return self._settle_rate(minute, n, k, p0)

    def _settle_rate(self, minute: int, n: float, k: float, p0: float) -> Change | None:
        seen = self.episode.seen
        high = max(p0 + 0.5 * (seen - p0), p0 * 1.05)
        kind = self.params.kind
        # The support: the reported rate against the baseline (Episode's module doc).
        support = _llr(kind, n, k, p0, _reported(kind, seen, p0))
        return self._settle(minute, _llr(kind, n, k, high, p0), support)

"""Learned baselines: a rate with daily and weekly seasonality, and a mean with its variance.

Both keep exponentially decayed sums, so their state is a few dozen numbers whatever the
history, and both shrink what they learn toward the overall level until evidence accumulates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tripwire.detect.seasonal_fit import Profile, fit

MINUTES_PER_DAY = 1440
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday
MODEL_ERROR = 0.03  # relative drift of a healthy rate that no count reveals (a few % a day)


def season_bucket(minute: int) -> int:
    """Hour of day, split into weekdays (0..23) and weekend days (24..47)."""
    day = (minute // MINUTES_PER_DAY + EPOCH_WEEKDAY) % 7
    hour = (minute % MINUTES_PER_DAY) // 60
    return hour + (24 if day >= 5 else 0)


def decay_for(half_life_minutes: float) -> float:
    return float(0.5 ** (1.0 / half_life_minutes))


def weekly(total: float, half_life: float, age_minutes: float) -> float:
    """Volume per week from an exponentially decayed total."""
    span = min(half_life / math.log(2), max(age_minutes, 60.0))
    return total / span * 7 * MINUTES_PER_DAY


def decayed(total: float, half_life: float, since: int | None, minute: int) -> float:
    """`total`, last added to at minute `since`, decayed at `half_life` until `minute`."""
    elapsed = 0 if since is None else max(minute - since, 0)
    return total * math.pow(0.5, elapsed / half_life)


@dataclass
class SeasonalRate:
    """Rate (successes / trials) per hour of day and weekday/weekend.

    The overall rate is an EWMA of counts (half-life `half_life` minutes); each seasonal bucket
    keeps a factor observed / expected, shrunk toward 1 by `prior` pseudo-events.
    """

    half_life: float = 2 * MINUTES_PER_DAY
    bucket_half_life: float = 7 * 60  # in minutes of that bucket: about a week of visits
    prior: float = 30.0
    model_error: float = MODEL_ERROR
    k: float = 0.0
    n: float = 0.0
    minutes: int = 0
    first: int | None = None
    last: int | None = None
    fk: list[float] = field(default_factory=lambda: [0.0] * 48)
    fe: list[float] = field(default_factory=lambda: [0.0] * 48)
    # Trials learned, decayed by elapsed time. `n` decays per window learned, and a sparse
    # series learns few windows (6 ratings an hour: 9 minutes in 10 carry none), so `n` read
    # as ten times the week's trials and set every line ln 10 = 2.3 nats too high.
    volume: float = 0.0
    # Derived from fk/fe and refitted once an hour (a fit per minute would cost too much);
    # persisted, so a restored detector expects exactly what the original did.
    fitted: tuple[int, Profile] | None = field(default=None, repr=False, compare=False)

    def overall(self) -> float:
        # One pseudo-event per effective window keeps a series that never fired from treating
        # its first event as infinitely surprising.
        return (self.k + 0.5) / (self.n + 1.0)

    def profile(self, minute: int) -> Profile:
        hour = minute // 60
        if self.fitted is None or self.fitted[0] != hour:
            self.fitted = (hour, fit(self.fk, self.fe, self.prior))
        return self.fitted[1]

    def factor(self, minute: int) -> float:
        return self.profile(minute).factor(season_bucket(minute))

    def expected(self, minute: int) -> float:
        return min(0.999, max(1e-9, self.overall() * self.factor(minute)))

    def cautious(self, minute: int) -> float:
        """The expected rate raised by one standard error of what was learned (the overall
        rate and this hour's factor), so a baseline built on little data does not page."""
        seasonal = float(self.profile(minute).variance[season_bucket(minute)])
        # Sampling error of both estimates, plus what no count can tell: slow drift and an hour
        # that behaves differently this week (a few percent, which matters at high volume).
        rel = math.sqrt(1.0 / (self.k + 1.0) + seasonal + self.model_error**2)
        return min(0.999, self.expected(minute) * (1.0 + rel))

    def learn(self, minute: int, n: float, k: float) -> None:
        if n <= 0:
            return
        if self.first is None:
            self.first = minute
        self.volume = decayed(self.volume, self.half_life, self.last, minute) + n
        self.last = minute
        d = decay_for(self.half_life)
        self.k = self.k * d + k
        self.n = self.n * d + n
        self.minutes += 1
        if self.k < 5.0:
            return  # the overall rate is still a guess: factors against it would be noise
        b = season_bucket(minute)
        db = decay_for(self.bucket_half_life)
        self.fe[b] = self.fe[b] * db + n * self.overall()
        self.fk[b] = self.fk[b] * db + k

    def ready(self, min_positives: float, min_minutes: int) -> bool:
        # Elapsed time, not minutes with data: a sparse series (a few ratings an hour) would
        # otherwise stay in warm-up for days and learn an early incident as normal.
        span = (self.last or 0) - (self.first or 0)
        return span >= min_minutes and self.k >= min_positives

    def weekly_trials(self, minute: int) -> float:
        now = decayed(self.volume, self.half_life, self.last, minute)
        return weekly(now, self.half_life, minute - (self.first or minute))

    def dump(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "n": self.n,
            "m": self.minutes,
            "fk": self.fk,
            "fe": self.fe,
            "first": self.first,
            "last": self.last,
            "v": self.volume,
            "fit": None if self.fitted is None else [self.fitted[0], *self.fitted[1].dump()],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.k, self.n, self.minutes = float(data["k"]), float(data["n"]), int(data["m"])
        self.first = data.get("first")
        self.last = data.get("last", (self.first or 0) + self.minutes)
        self.fk, self.fe = [float(x) for x in data["fk"]], [float(x) for x in data["fe"]]
        # State saved before the volume was kept: its trials, which time then corrects.
        self.volume = float(data.get("v", self.n))
        fitted = data.get("fit")
        self.fitted = None if fitted is None else (int(fitted[0]), Profile.load(*fitted[1:]))


BINS = 20  # histogram of scores in [0, 1]: enough to see a skewed tail, small to persist


def score_bin(value: float) -> int:
    """The histogram bin of a score (values outside [0, 1] go to the end bins)."""
    return min(BINS - 1, max(0, int(value * BINS)))


@dataclass
class MeanBaseline:
    """Mean, variance and histogram of individual observations (EWMA over time, half-life in
    minutes). The histogram is what lets a detector hold its false-alarm rate on skewed scores
    (mostly 0.9-1.0 with a long tail down): see `MeanDetector`."""

    half_life: float = 3 * MINUTES_PER_DAY
    c: float = 0.0
    s: float = 0.0
    q: float = 0.0
    minutes: int = 0
    first: int | None = None
    last: int | None = None
    hist: list[float] = field(default_factory=lambda: [0.0] * BINS)

    def mean(self) -> float:
        return self.s / self.c if self.c > 0 else 0.0

    def sd(self) -> float:
        if self.c <= 1:
            return 1.0
        var = max(self.q / self.c - self.mean() ** 2, 0.0)
        # A floor keeps a constant score from turning tiny wobbles into certainty.
        return max(math.sqrt(var), 0.01)

    def shape(self) -> list[float] | None:
        """The learned distribution (probabilities per bin), None when no histogram was fed."""
        total = sum(self.hist)
        if total < 0.5 * self.c or total <= 0:
            return None  # state from before histograms, or windows that carry none
        return [h / total for h in self.hist]

    def learn(
        self,
        minute: int,
        count: float,
        total: float,
        squares: float,
        hist: Sequence[float] | None = None,
    ) -> None:
        if count <= 0:
            return
        if self.first is None:
            self.first = minute
        self.last = minute
        d = decay_for(self.half_life)
        self.c = self.c * d + count
        self.s = self.s * d + total
        self.q = self.q * d + squares
        if hist:
            self.hist = [h * d + x for h, x in zip(self.hist, hist, strict=True)]
        else:
            self.hist = [h * d for h in self.hist]
        self.minutes += 1

    def ready(self, min_count: float, min_minutes: int = 0) -> bool:
        # Elapsed time as well as scores: 300 scores can arrive in one busy hour, which says
        # nothing about the other hours of the day.
        span = (self.last or 0) - (self.first or 0)
        return self.c >= min_count and span >= min_minutes

    def weekly_count(self, minute: int) -> float:
        # Decayed per window learned, as the count is: at 40 scores an hour it reads about twice
        # the week's scores, so score lines sit 0.5-0.7 nats above their share. Kept: the score
        # lines' conversion (`MEAN_SLACK`) was measured with it, correcting it gained nothing
        # measurable, and with the budget split towards the small designs it raised the tuning
        # products' false incidents from 0.04 to 0.21 per use-case-week (docs/detect-studies.md,
        # "Score lines"). A rate's trials are counted by elapsed time (`SeasonalRate.volume`).
        return weekly(self.c, self.half_life, minute - (self.first or minute))

    def dump(self) -> dict[str, Any]:
        return {
            "c": self.c,
            "s": self.s,
            "q": self.q,
            "m": self.minutes,
            "first": self.first,
            "last": self.last,
            "h": self.hist,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.c, self.s, self.q = float(data["c"]), float(data["s"]), float(data["q"])
        self.minutes = int(data["m"])
        self.first = data.get("first")
        self.last = data.get("last", (self.first or 0) + self.minutes)
        hist = data.get("h")
        self.hist = [float(x) for x in hist] if hist else [0.0] * BINS

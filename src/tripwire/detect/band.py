"""The baseline band drawn behind a signal on a chart: what each hour usually looks like.

Pure (no I/O). Each hour is compared with the same hour of the previous days (up to a week,
so the daily cycle is respected and an incident today does not move today's band); where fewer
than three earlier days exist, the trailing day stands in. The band is the median plus or
minus two robust standard deviations (1.4826 x the median absolute deviation), never narrower
than the sampling noise of a rate at that hour's volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

HOUR = timedelta(hours=1)
SAME_HOUR_DAYS = 7
MIN_DAYS = 3
WIDTH = 2.0
MAD_TO_SD = 1.4826


@dataclass(frozen=True, slots=True)
class Window:
    """One stored hour of a series: its volume (trials, scores, requests) and its value."""

    hour: datetime
    volume: float
    value: float | None


@dataclass(frozen=True, slots=True)
class BandPoint:
    hour: datetime
    middle: float
    low: float
    high: float


def band(windows: dict[datetime, Window], hours: list[datetime], kind: str) -> list[BandPoint]:
    """The band for each of `hours`, from `windows` (which should reach a week earlier).

    `kind`: `bernoulli` (a share of trials), `poisson` (events per trial), or `level` (a mean
    score, a latency: no sampling floor is known)."""
    points: list[BandPoint] = []
    for hour in hours:
        history = _history(windows, hour)
        if len(history) < 2:
            continue
        middle = median(history)
        spread = MAD_TO_SD * median(abs(v - middle) for v in history)
        here = windows.get(hour)
        spread = max(spread, _sampling_sd(kind, middle, here.volume if here else 0.0))
        low, high = middle - WIDTH * spread, middle + WIDTH * spread
        if kind != "level":
            low = max(low, 0.0)
        if kind == "bernoulli":
            high = min(high, 1.0)
        points.append(BandPoint(hour, middle, low, high))
    return points


def _history(windows: dict[datetime, Window], hour: datetime) -> list[float]:
    same = [windows.get(hour - timedelta(days=d)) for d in range(1, SAME_HOUR_DAYS + 1)]
    values = [w.value for w in same if w is not None and w.value is not None and w.volume > 0]
    if len(values) >= MIN_DAYS:
        return values
    trailing = [windows.get(hour - HOUR * h) for h in range(1, 25)]
    return [w.value for w in trailing if w is not None and w.value is not None and w.volume > 0]


def _sampling_sd(kind: str, rate: float, volume: float) -> float:
    if volume <= 0 or kind == "level":
        return 0.0
    if kind == "poisson":
        return math.sqrt(max(rate, 0.0) / volume)
    return math.sqrt(max(rate * (1.0 - rate), 0.0) / volume)

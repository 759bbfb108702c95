"""Per-minute curves: how much traffic there is and how healthy each signal is, minute by minute.

Both the event generator and the aggregate streams (benchmarks) draw from these curves, so the
two never disagree about what "normal" looks like.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tripwire.sim.scenario import Injection, Scenario, Surge

Floats = NDArray[np.float64]

PEAK_HOUR = 15.0  # UTC hour of the daily traffic peak
RATE_CYCLE = 0.1  # healthy rates swing +-10 % over the day (tired night users rate harsher)


def daily_shape(minute_of_week: NDArray[np.int64], ratio: float, weekend: float) -> Floats:
    """Relative traffic (mean 1 over a week) for each minute of the week (0 = Monday 00:00)."""
    amp = (ratio - 1.0) / (ratio + 1.0)
    hours = (minute_of_week % 1440) / 60.0
    day = minute_of_week // 1440
    raw = (1.0 + amp * np.cos(2 * np.pi * (hours - PEAK_HOUR) / 24.0)) * np.where(
        day >= 5, weekend, 1.0
    )
    return np.asarray(raw / ((5.0 + 2.0 * weekend) / 7.0), dtype=np.float64)


def minute_of_week(scenario: Scenario, minutes: NDArray[np.int64]) -> NDArray[np.int64]:
    offset = scenario.start.weekday() * 1440 + scenario.start.hour * 60 + scenario.start.minute
    return np.asarray((minutes + offset) % (7 * 1440), dtype=np.int64)


def outputs_per_minute(scenario: Scenario, share: float, use_case: str | None = None) -> Floats:
    """Expected outputs of one use case per minute over the whole scenario."""
    minutes = np.arange(scenario.minutes, dtype=np.int64)
    base = scenario.outputs_per_hour * share / 60.0
    curve = base * daily_shape(
        minute_of_week(scenario, minutes), scenario.daily_ratio, scenario.weekend_factor
    )
    for surge in scenario.surges:
        curve *= surge_factor(surge, minutes, use_case)
    return curve


def surge_factor(surge: Surge, minutes: NDArray[np.int64], use_case: str | None) -> Floats:
    if surge.use_case is not None and surge.use_case != use_case:
        return np.ones(len(minutes))
    inside = (minutes >= surge.start_minute) & (minutes < surge.start_minute + surge.minutes)
    return np.where(inside, surge.factor, 1.0)


def rate_cycle(scenario: Scenario) -> Floats:
    """Relative healthy rate per minute: a gentle daily cycle, opposite to traffic."""
    minutes = np.arange(scenario.minutes, dtype=np.int64)
    hours = (minute_of_week(scenario, minutes) % 1440) / 60.0
    return 1.0 - RATE_CYCLE * np.cos(2 * np.pi * (hours - PEAK_HOUR) / 24.0)


def drift(rng: np.random.Generator, minutes: int, per_day: float) -> Floats:
    """A slow multiplicative random walk (hourly steps), interpolated to minutes."""
    hours = minutes // 60 + 2
    walk = np.cumsum(rng.normal(0.0, per_day / np.sqrt(24.0), hours))
    walk -= walk[0]
    per_minute = np.interp(np.arange(minutes) / 60.0, np.arange(hours), walk)
    return np.asarray(np.exp(per_minute), dtype=np.float64)


def effect(injection: Injection, minutes: int) -> Floats:
    """How far along the incident is each minute: 0 before onset, 1 at full size."""
    t = np.arange(minutes, dtype=np.float64) - injection.onset_minute
    if injection.shape == "ramp":
        frac = np.clip((t + 1) / max(injection.ramp_minutes, 1), 0.0, 1.0)
    else:
        frac = (t >= 0).astype(np.float64)
    if injection.duration_minutes is not None:
        frac = np.where(t >= injection.duration_minutes, 0.0, frac)
    return np.where(t >= 0, frac, 0.0)


def multiplier(injection: Injection, minutes: int) -> Floats:
    """Rate multiplier per minute (1 when healthy)."""
    return 1.0 + (injection.magnitude - 1.0) * effect(injection, minutes)


def shift(injection: Injection, minutes: int) -> Floats:
    """Score-mean shift per minute (0 when healthy)."""
    return injection.magnitude * effect(injection, minutes)

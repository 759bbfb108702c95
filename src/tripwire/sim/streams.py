"""Aggregate streams: per-minute counts of one signal, drawn from the same curves as the events
but without building events, so benchmarks can simulate thousands of stream-weeks quickly.

A stream with an incident is coupled to its healthy twin (same seed): identical up to the onset,
extra bad events are thinned in afterwards, so a detector can be snapshotted at the onset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from tripwire.sim import profile
from tripwire.sim.scenario import Injection, Scenario, Signal, UseCase

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Stream:
    """`trials` and `events` per minute for rates (`expected` is the true healthy rate);
    for scores `trials` is the count, `events` the sum, `squares` the sum of squares and
    `expected` the true healthy mean with `sd` the true spread."""

    signal: Signal
    trials: Floats
    events: Floats
    expected: Floats
    squares: Floats = field(default_factory=lambda: np.zeros(0))
    sd: float = 0.0


def _healthy_rate(signal: Signal, uc: UseCase) -> tuple[float, float]:
    """(trials per output, event probability per trial)."""
    table: dict[str, tuple[float | None, float]] = {
        "negative_feedback": (None, uc.negative_share),
        "safety": (1.0, uc.safety_rate),
        "errors": (1.0, uc.error_rate + uc.timeout_rate),
        "tickets_wrong_answer": (1.0, uc.ticket_rate * dict(uc.ticket_topics)["wrong_answer"]),
    }
    per_output, p = table[signal]
    return (per_output if per_output is not None else -1.0), p


def rate_stream(
    scenario: Scenario,
    signal: Signal,
    injection: Injection | None = None,
    uc: UseCase | None = None,
) -> tuple[Stream, Stream | None]:
    """The healthy stream and, with `injection`, its coupled twin with the incident."""
    uc = uc or UseCase("bench")
    rng = np.random.default_rng([scenario.seed, 7])
    volume = profile.outputs_per_minute(scenario, 1.0)
    outputs = rng.poisson(volume).astype(np.float64)
    per_output, p = _healthy_rate(signal, uc)
    if per_output < 0:  # feedback: a share of outputs is rated
        trials = rng.binomial(outputs.astype(np.int64), scenario.feedback_rate).astype(np.float64)
    else:
        trials = outputs
    rate = np.clip(
        p
        * profile.rate_cycle(scenario)
        * profile.drift(rng, scenario.minutes, scenario.drift_per_day),
        0.0,
        1.0,
    )
    events = rng.binomial(trials.astype(np.int64), rate).astype(np.float64)
    healthy = Stream(signal, trials, events, rate)
    if injection is None:
        return healthy, None
    target = np.clip(rate * profile.multiplier(injection, scenario.minutes), 0.0, 1.0)
    # Thinning: each healthy non-event becomes an event with the probability that lifts the
    # rate from `rate` to `target`; before the onset nothing changes.
    lift = np.where(target > rate, (target - rate) / np.maximum(1.0 - rate, 1e-12), 0.0)
    extra = rng.binomial((trials - events).astype(np.int64), lift).astype(np.float64)
    return healthy, Stream(signal, trials, events + extra, rate)


def score_stream(
    scenario: Scenario, injection: Injection | None = None, uc: UseCase | None = None
) -> tuple[Stream, Stream | None]:
    """Per-minute count, sum and sum of squares of one score (`quality`), healthy and shifted."""
    uc = uc or UseCase("bench")
    rng = np.random.default_rng([scenario.seed, 11])
    volume = profile.outputs_per_minute(scenario, 1.0)
    scored = rng.poisson(volume * scenario.scored_per_hour / scenario.outputs_per_hour)
    minutes = np.repeat(np.arange(scenario.minutes), scored)
    noise = rng.normal(0.0, uc.score_sd, len(minutes))
    expected = np.full(scenario.minutes, uc.quality_mean, dtype=np.float64)

    def build(shift: Floats) -> Stream:
        values = np.clip(uc.quality_mean + shift[minutes] + noise, 0.0, 1.0)
        total = np.bincount(minutes, values, scenario.minutes).astype(np.float64)
        squares = np.bincount(minutes, values * values, scenario.minutes).astype(np.float64)
        return Stream("quality", scored.astype(np.float64), total, expected, squares, uc.score_sd)

    healthy = build(np.zeros(scenario.minutes))
    if injection is None:
        return healthy, None
    return healthy, build(profile.shift(injection, scenario.minutes))

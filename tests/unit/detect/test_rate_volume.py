"""A rate's lines are set for the trials it really gets in a week. Its baseline learns only the
minutes that carry trials, so a sparse series (a few ratings an hour) must not count a week as
more trials than it had: its lines would sit nats above its share of the budget."""

from __future__ import annotations

import math

import numpy as np

from tripwire.detect.baseline import SeasonalRate

WEEK = 7 * 1440
T0 = 29_000_000


def test_weekly_trials_are_the_trials_of_a_week_when_most_minutes_have_none() -> None:
    # 6 ratings an hour (60 outputs/h, 10 % rated): 9 minutes in 10 carry none. Decayed per
    # window learned, the count read as about ten times the week's 1,008 trials.
    rng = np.random.default_rng(5)
    base = SeasonalRate()
    for minute in range(2 * WEEK):
        n = int(rng.poisson(6 / 60))
        if n:
            base.learn(T0 + minute, float(n), float(rng.binomial(n, 0.25)))
    assert abs(base.weekly_trials(T0 + 2 * WEEK) / 1008 - 1.0) < 0.1


def test_a_dense_series_counts_as_before() -> None:
    base = SeasonalRate()
    for minute in range(2 * WEEK):
        base.learn(T0 + minute, 30.0, 1.0)
    assert abs(base.weekly_trials(T0 + 2 * WEEK) / (30 * WEEK) - 1.0) < 0.1


def test_weekly_trials_survive_a_restart_from_older_state() -> None:
    base = SeasonalRate()
    for minute in range(0, 3000, 2):
        base.learn(T0 + minute, 1.0, 0.0)
    saved = base.dump()
    saved.pop("v", None)  # state saved before the volume was kept
    again = SeasonalRate()
    again.load(saved)
    assert again.weekly_trials(T0 + 3000) > 0
    again.load(base.dump())
    assert math.isclose(again.weekly_trials(T0 + 3000), base.weekly_trials(T0 + 3000))

"""The smooth daily profile behind seasonal rates: pooling buckets, keeping sharp hours."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire.detect.baseline import SeasonalRate
from tripwire.detect.seasonal_fit import BUCKETS, fit

PRIOR = SeasonalRate().prior


def buckets(factors: np.ndarray, expected: float, rng: np.random.Generator) -> tuple[list, list]:
    fe = [expected] * BUCKETS
    fk = [float(rng.poisson(expected * f)) for f in factors]
    return fk, fe


def test_no_data_means_no_seasonality() -> None:
    profile = fit([0.0] * BUCKETS, [0.0] * BUCKETS, PRIOR)
    assert all(profile.factor(b) == 1.0 for b in range(BUCKETS))


def test_a_smooth_cycle_is_recovered_better_than_by_each_hour_alone() -> None:
    """+-10 % over the day with ~200 events per hour bucket: each bucket alone is off by about
    7 %; the pooled fit must be at least twice as close."""
    hours = np.arange(BUCKETS) % 24
    truth = 1.0 - 0.1 * np.cos(2 * np.pi * (hours - 15) / 24)
    rng = np.random.default_rng(5)
    raw_err, fit_err = [], []
    for _ in range(20):
        fk, fe = buckets(truth, 200.0, rng)
        profile = fit(fk, fe, PRIOR)
        raw_err += [math.log(k / e / f) for k, e, f in zip(fk, fe, truth, strict=True)]
        fit_err += [math.log(profile.factor(b) / truth[b]) for b in range(BUCKETS)]
    raw_rmse, fit_rmse = np.sqrt(np.mean(np.square(raw_err))), np.sqrt(np.mean(np.square(fit_err)))
    assert fit_rmse < raw_rmse / 2, (fit_rmse, raw_rmse)


def test_a_sharp_hour_the_harmonics_cannot_draw_is_kept() -> None:
    """A nightly batch at 02:00 triples the rate: the fit must not smooth it away, or that hour
    would page every night."""
    truth = np.ones(BUCKETS)
    truth[2] = truth[26] = 3.0
    profile = fit(*buckets(truth, 400.0, np.random.default_rng(6)), PRIOR)
    assert profile.factor(2) > 2.6
    assert 0.8 < profile.factor(12) < 1.2


@settings(max_examples=30, deadline=None)
@given(
    fk=st.lists(st.floats(0, 1e6), min_size=BUCKETS, max_size=BUCKETS),
    fe=st.lists(st.floats(0, 1e6), min_size=BUCKETS, max_size=BUCKETS),
)
def test_any_counts_give_finite_positive_factors(fk: list[float], fe: list[float]) -> None:
    profile = fit(fk, fe, PRIOR)
    for b in range(BUCKETS):
        assert math.isfinite(profile.factor(b))
        assert profile.factor(b) > 0
        assert math.isfinite(float(profile.variance[b]))
        assert profile.variance[b] >= 0


def test_warm_up_counts_elapsed_time_not_minutes_with_data() -> None:
    """A sparse series (one rating every few minutes) is ready after a day, not after 1,440
    minutes that happened to have data."""
    rate = SeasonalRate()
    for minute in range(0, 1441, 5):
        rate.learn(minute, 1.0, 0.3)
    assert rate.ready(10.0, 1440)
    assert not SeasonalRate().ready(10.0, 1440)

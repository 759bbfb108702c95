"""The generic series detector behind `tripwire detect-series`."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire.detect.series import SeriesDetector, detect_period


def scores(values: list[float]) -> list[float]:
    det = SeriesDetector()
    return [det.score(v) for v in values]


def test_a_spike_scores_high_and_noise_low() -> None:
    rng = np.random.default_rng(1)
    x = list(10 + rng.normal(0, 1, 600))
    x[400] += 12
    s = scores(x)
    assert s[400] > 0.9
    assert np.mean(np.asarray(s[100:390]) > 0.5) < 0.02


def test_a_level_shift_is_flagged_then_becomes_the_new_normal() -> None:
    rng = np.random.default_rng(2)
    x = list(5 + rng.normal(0, 0.5, 800))
    for i in range(500, 800):
        x[i] += 4
    s = scores(x)
    assert max(s[500:510]) > 0.9
    assert max(s[600:800]) < 0.5


def test_a_variance_change_is_flagged() -> None:
    rng = np.random.default_rng(3)
    x = list(rng.normal(0, 1, 700))
    for i in range(500, 700):
        x[i] *= 6
    assert max(scores(x)[500:560]) > 0.9


def test_the_daily_period_is_found() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(2000)
    x = 3 * np.sin(2 * np.pi * t / 144) + rng.normal(0, 0.3, len(t))
    assert abs(detect_period(x) - 144) <= 1


def test_a_seasonal_dip_is_not_an_anomaly_but_a_break_in_it_is() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(3000)
    x = list(10 + 4 * np.sin(2 * np.pi * t / 100) + rng.normal(0, 0.3, len(t)))
    x[2550] += 5  # at a trough: unremarkable in level, remarkable for its phase
    s = scores(x)
    assert np.mean(np.asarray(s[1500:2500]) > 0.5) < 0.02
    assert s[2550] > 0.9


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300), st.integers(1, 300)
)
def test_scores_are_in_range_and_never_look_ahead(values: list[float], cut: int) -> None:
    full = scores(values)
    assert all(0.0 <= v <= 1.0 for v in full)
    assert scores(values[:cut]) == full[:cut]

"""The generic series detector behind `tripwire detect-series`."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire.detect.series import BUFFER, SCALE_WINDOW, SeriesDetector, detect_period
from tripwire.detect.series_tail import BINS


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


def test_a_period_is_found_in_low_counts() -> None:
    # Poisson counts around 2 per row: the autocorrelation peak is broad and noisy.
    t = np.arange(4800)
    rate = 2 * (1 + 0.8 * np.sin(2 * np.pi * t / 96))
    for seed in range(3):
        x = np.random.default_rng(seed).poisson(rate).astype(float)
        assert abs(detect_period(x) - 96) <= 3


def test_a_stuck_sensor_is_flagged_within_ten_rows() -> None:
    rng = np.random.default_rng(6)
    x = list(10 + rng.normal(0, 1, 600))
    x[500:530] = [x[499]] * 30
    s = scores(x)
    assert max(s[100:499]) < 0.5
    assert max(s[500:510]) > 0.9


def test_runs_of_zeros_are_normal_where_zeros_are_common() -> None:
    rng = np.random.default_rng(7)
    x = np.where(rng.random(3000) < 0.8, 0.0, rng.gamma(2, 5, 3000))
    s = np.asarray(scores(list(x)))
    assert np.mean(s[500:] >= 0.9) < 0.1


def test_heavy_tails_do_not_page_on_ordinary_excursions() -> None:
    x = 10 + np.random.default_rng(8).standard_t(2.5, 6000)
    s = np.asarray(scores(list(x)))
    assert np.sum(s[1000:] >= 0.9) <= 15  # a Gaussian reading of the scale paged 30-50 times


def test_quiet_rows_are_ranked_not_tied() -> None:
    rng = np.random.default_rng(9)
    s = scores(list(10 + rng.normal(0, 1, 1000)))
    assert len(set(np.round(s[100:], 6))) > 800
    assert max(s[100:]) < 0.5


def test_a_long_shift_is_not_scored_as_one_long_tie() -> None:
    rng = np.random.default_rng(10)
    x = list(5 + rng.normal(0, 0.5, 1200))
    for i in range(600, 1200):
        x[i] += 5
    s = np.round(scores(x), 6)
    assert max(s[600:610]) > 0.9
    assert np.sum(s[600:] >= 0.999) < 20
    assert len(set(s[620:])) > 500


def test_state_stays_bounded() -> None:
    det = SeriesDetector()
    rng = np.random.default_rng(11)
    for v in rng.normal(0, 1, 6000):
        det.score(float(v))
    assert len(det.buffer) == BUFFER
    assert len(det.residuals) == SCALE_WINDOW
    assert len(det.tail.counts) == BINS
    assert det.tail.weight < 1e6


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300), st.integers(1, 300)
)
def test_scores_are_in_range_and_never_look_ahead(values: list[float], cut: int) -> None:
    full = scores(values)
    assert all(0.0 <= v <= 1.0 for v in full)
    assert scores(values[:cut]) == full[:cut]


def test_a_restored_detector_scores_exactly_as_the_original() -> None:
    """A `metric` monitor's detector is saved as plain JSON (no NaN) and picks up where it was:
    period, profile, scale, tail and stuck-sensor state included."""
    rng = np.random.default_rng(8)
    t = np.arange(3000)
    values = 10 + 3 * np.sin(2 * np.pi * t / 96) + rng.standard_t(3, len(t))
    values[2500:2520] = 10.0  # a stuck stretch right at the save point
    original = SeriesDetector()
    for v in values[:2510]:
        original.score(float(v))
    restored = SeriesDetector()
    restored.load(json.loads(json.dumps(original.dump(), allow_nan=False)))
    assert restored.period == original.period > 0
    for v in values[2510:]:
        assert restored.score(float(v)) == original.score(float(v))

"""The generic series detector behind `tripwire detect-series`."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tripwire.detect.series import BUFFER, LAGS, PARTS, SCALE_WINDOW, WARMUP, SeriesDetector
from tripwire.detect.series_evidence import succession_nats, to_score
from tripwire.detect.series_period import detect_period

# On the benchmark's tuning corpus the window score's best threshold is ~0.31 (~11 nats).
HIGH = to_score(15.0)  # 0.375: clearly over it
LOW = to_score(8.0)  # 0.242: under it


def scores(values: list[float]) -> list[float]:
    det = SeriesDetector()
    return [det.score(v) for v in values]


def test_a_spike_scores_high_and_noise_low() -> None:
    rng = np.random.default_rng(1)
    x = list(10 + rng.normal(0, 1, 600))
    x[400] += 12
    s = scores(x)
    assert s[400] > HIGH
    assert np.mean(np.asarray(s[100:390]) > LOW) < 0.02


def test_a_step_scores_high_at_its_start_then_decays_into_the_new_normal() -> None:
    rng = np.random.default_rng(2)
    x = list(5 + rng.normal(0, 0.5, 800))
    for i in range(500, 800):
        x[i] += 4
    s = np.asarray(scores(x))
    assert max(s[500:505]) > HIGH
    assert max(s[100:500]) < max(s[500:505]) / 2
    assert max(s[560:800]) < LOW


def test_a_variance_change_is_flagged() -> None:
    rng = np.random.default_rng(3)
    x = list(rng.normal(0, 1, 700))
    for i in range(500, 700):
        x[i] *= 6
    assert max(scores(x)[500:560]) > HIGH


def test_the_daily_period_is_found() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(2000)
    x = 3 * np.sin(2 * np.pi * t / 144) + rng.normal(0, 0.3, len(t))
    assert abs(detect_period(x) - 144) <= 1


def test_a_daily_period_with_quieter_weekends_is_found_to_the_row() -> None:
    """Weekends at 40 % of the weekday swing make the autocorrelation's hill lopsided (its top
    sat at 286-287); a period two rows off smears the profile by 14 rows a week. Under two
    weeks of data the week cannot be read, so the day is the period."""
    for seed in range(3):
        assert detect_period(_weekly(4000, seed)) == 288


def test_a_daily_pattern_whose_weekend_differs_is_read_as_weekly() -> None:
    """Once two weeks are in the data, the week folds the series far tighter than the day:
    the weekend's difference belongs in the profile, not to the level trackers."""
    for seed in range(3):
        assert detect_period(_weekly(4800, seed)) == 7 * 288


def test_a_multiple_of_the_period_stays_within_max_period() -> None:
    for seed in range(3):
        assert detect_period(_weekly(4800, seed), max_period=1000) == 288


def test_a_plain_daily_pattern_is_not_read_as_a_multiple_of_itself() -> None:
    t = np.arange(4800)
    for seed in range(3):
        x = 3 * np.sin(2 * np.pi * t / 96) + np.random.default_rng(seed).normal(0, 0.5, len(t))
        assert detect_period(x) == 96


def test_weekends_stop_paging_once_the_week_is_learned() -> None:
    """Read as daily, every weekend's quieter swing was a change the level trackers chased
    (on main before the weekly period: top score 0.31-0.32 in these rows, over the line)."""
    for seed in range(3):
        s = scores(list(_weekly(9000, seed)))
        assert max(s[4300:]) < to_score(10.0)


def test_a_weekly_pattern_is_adopted_as_soon_as_two_weeks_are_in() -> None:
    """The period was refreshed every 128 rows, so the week (two of it fit at row 4,032) was
    first read at row 4,096: the third Monday was judged against the daily profile and paged
    (on main before the change: 0.33-0.34 in these rows, over the corpus threshold)."""
    for seed in range(3):
        det, x = SeriesDetector(), _weekly(4200, seed)
        s = [det.score(float(v)) for v in x[: 2 * 7 * 288]]
        assert det.period == 7 * 288
        s += [det.score(float(v)) for v in x[2 * 7 * 288 :]]
        assert max(s[2 * 7 * 288 :]) < to_score(8.0)


def _weekly(n: int, seed: int) -> np.ndarray:
    t = np.arange(n)
    week = np.where((t // 288) % 7 >= 5, 0.4, 1.0)
    wave = np.sin(2 * np.pi * t / 288 + 1) + np.sin(4 * np.pi * t / 288 + 2) / 2
    noise = np.random.default_rng(seed).normal(0, 0.4, n)
    return 20 + 4 * week * np.clip(wave, -0.2, None) + noise


def test_the_first_profile_is_learned_exactly_from_a_few_periods() -> None:
    """A period is first adopted on three to four periods of data; the moving average that
    detrends them must not pad past the ends, or the level leaks into the profile (this sine
    was learned 50 % too wide and shifted, and its fastest level tracker chased the error)."""
    t = np.arange(1600)
    s = scores(list(18 + 0.5 * np.sin(2 * np.pi * t / 70 + 1)))
    assert max(s[300:]) < to_score(1.0)


def test_a_step_in_heavy_tailed_noise_scores_high_at_its_start() -> None:
    """The variance CUSUM fires routinely on Student-t residuals; calibrated on one shared
    history it discounted every kind of evidence there, a clear step included (median start
    score 0.29). Each kind is calibrated on its own history."""
    starts = []
    for seed in range(6):
        x = 10 + np.random.default_rng(seed).standard_t(2.5, 4000)
        x[3000:] += 6
        starts.append(max(scores(list(x))[3000:3010]))
    assert np.median(starts) > to_score(12.0)


def test_a_flat_line_is_not_discounted_by_its_own_climb() -> None:
    """A stuck run's evidence climbs row by row; calibrated on a history that learned each
    row at once, its earlier rows made its later ones routine (30 stuck rows in white noise:
    31 raw nats, scored 0.29, under the corpus threshold of ~0.31). Its rows are learned late."""
    peaks = []
    for seed in range(4):
        x = 10 + np.random.default_rng(seed).normal(0, 1, 400)
        x[250:280] = x[249]
        peaks.append(max(scores(list(x))[250:280]))
    assert min(peaks) > to_score(12.0)


def test_a_long_stuck_run_still_fades() -> None:
    """Its waiting rows are learned at once when the run has made its case: the rest of a
    long run is not paged on row after row."""
    x = 10 + np.random.default_rng(3).normal(0, 1, 1200)
    x[500:] = x[499]
    s = np.asarray(scores(list(x)))
    assert max(s[500:560]) > to_score(12.0)
    assert np.mean(s[500:] > to_score(11.0)) < 0.05


def test_a_trend_change_is_not_discounted_by_its_own_climb() -> None:
    """The multi-horizon evidence of a slow trend change climbs row by row; calibrated on a
    history that learned each row at once (and together with the CUSUMs), its earlier rows made
    its later ones routine and it peaked under the corpus threshold. Its rows are learned late,
    on a history of their own."""
    peaks = []
    for seed in range(6):
        x = 10 + np.random.default_rng(seed).normal(0, 1, 2000)
        x[1500:] += 4.0 * np.arange(500) / 100  # 4 noise sd per 100 rows
        peaks.append(max(scores(list(x))[1500:1600]))
    assert min(peaks) > to_score(12.0)


def test_a_trend_change_still_fades() -> None:
    """Its waiting rows are learned at once when it has made its case: a trend that goes on is
    not paged on row after row."""
    x = 10 + np.random.default_rng(7).normal(0, 1, 3000)
    x[1500:] += 4.0 * np.arange(1500) / 100
    s = np.asarray(scores(list(x)))
    assert np.mean(s[1500:] > to_score(11.0)) < 0.05


def test_a_seasonal_dip_is_not_an_anomaly_but_a_break_in_it_is() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(3000)
    x = list(10 + 4 * np.sin(2 * np.pi * t / 100) + rng.normal(0, 0.3, len(t)))
    x[2550] += 5  # at a trough: unremarkable in level, remarkable for its phase
    s = scores(x)
    assert np.mean(np.asarray(s[1500:2500]) > LOW) < 0.02
    assert s[2550] > HIGH


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
    assert max(s[100:499]) < LOW
    assert max(s[500:510]) > to_score(10.0) > LOW


def test_runs_of_zeros_are_normal_where_zeros_are_common() -> None:
    rng = np.random.default_rng(7)
    x = np.where(rng.random(3000) < 0.8, 0.0, rng.gamma(2, 5, 3000))
    s = np.asarray(scores(list(x)))
    assert np.mean(s[500:] >= HIGH) < 0.005


def test_heavy_tails_do_not_page_on_ordinary_excursions() -> None:
    x = 10 + np.random.default_rng(8).standard_t(2.5, 6000)
    s = np.asarray(scores(list(x)))
    assert np.sum(s[1000:] >= HIGH) <= 5  # a Gaussian reading of the scale paged 30-50 times


def test_scores_are_continuous_so_ties_are_rare() -> None:
    rng = np.random.default_rng(9)
    x = list(10 + rng.normal(0, 1, 1000))
    x[700:] = [v + 6 for v in x[700:]]
    s = np.round(scores(x), 6)
    assert len(set(s[100:])) > 850
    assert np.sum(s == s.max()) == 1


def test_state_stays_bounded() -> None:
    det = SeriesDetector()
    rng = np.random.default_rng(11)
    for v in rng.normal(0, 1, 6000):
        det.score(float(v))
    assert len(det.buffer) == BUFFER
    assert len(det.residuals) == SCALE_WINDOW


finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)
anything = st.one_of(finite, st.sampled_from([float("nan"), float("inf"), -float("inf")]))


@settings(max_examples=40, deadline=None)
@given(st.lists(anything, min_size=1, max_size=300), st.integers(1, 300))
def test_scores_are_finite_in_range_and_never_look_ahead(values: list[float], cut: int) -> None:
    full = scores(values)
    assert all(0.0 <= v <= 1.0 for v in full)
    assert scores(values[:cut]) == full[:cut]


@settings(max_examples=20, deadline=None)
@given(st.lists(anything, min_size=1, max_size=200))
def test_a_non_finite_row_scores_0_and_is_skipped(values: list[float]) -> None:
    """The rule for NaN and +-inf: a missing row. It scores 0 and the other rows score exactly
    as if it had not been there."""
    full = scores(values)
    kept = [v for v in values if np.isfinite(v)]
    assert [s for v, s in zip(values, full, strict=True) if not np.isfinite(v)] == [0.0] * (
        len(values) - len(kept)
    )
    assert [s for v, s in zip(values, full, strict=True) if np.isfinite(v)] == scores(kept)


AFTER_WARMUP = 4 * WARMUP


@settings(max_examples=25, deadline=None)
@given(st.floats(-1e9, 1e9), st.integers(AFTER_WARMUP + 1, 1500))
def test_a_flat_series_is_normal(level: float, n: int) -> None:
    assert max(scores([level] * n)[AFTER_WARMUP:]) < LOW


@settings(max_examples=15, deadline=None)
@given(
    st.integers(8, 150),
    st.floats(0.01, 1e4),
    st.floats(-1e4, 1e4),
    st.floats(0, 2 * np.pi),
)
def test_a_noiseless_sine_is_normal_once_its_period_is_learned(
    period: int, amplitude: float, offset: float, phase: float
) -> None:
    t = np.arange(3 * period + 1400)
    x = offset + amplitude * np.sin(2 * np.pi * t / period + phase)
    s = scores(list(x))
    assert max(s[3 * period + 400 :]) < LOW


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=2, max_size=6, unique=True),
    st.integers(20, 200),
    st.integers(0, 2**32 - 1),
)
@example(levels=[0, 1], mean_run=139, seed=378692994)  # a first run of 1,100 rows
@example(levels=[0, 1], mean_run=146, seed=103)  # a second run of 1,105 rows: 8.0 nats
@example(levels=[0, 1], mean_run=52, seed=53)  # a change at row 1, then 146 flat rows
def test_piecewise_constant_counts_are_normal(levels: list[int], mean_run: int, seed: int) -> None:
    """Long runs of one of a few integer values, as a count of rare events per row: normal
    once the series has shown that it changes. A change is never more surprising than the rule
    of succession says for the run it ended (1 + ln(1 + k) nats after k unchanged rows): its
    first change after a long flat start may score high, and so may a later change that ends a
    run of over a thousand rows (8 nats)."""
    rng = np.random.default_rng(seed)
    runs = np.maximum(1, rng.geometric(1 / mean_run, 200))
    x = np.repeat(rng.choice(levels, 200), runs)[:3000].astype(float)
    changes = np.flatnonzero(np.diff(x)) + 1
    start = max(AFTER_WARMUP, int(changes[1]) + 1 if len(changes) > 1 else len(x))
    longest = int(np.diff(changes).max()) if len(changes) > 1 else 0
    bound = max(LOW, to_score(1.0 + float(np.log1p(longest))) + 1e-9)
    s = scores(list(x))
    assert max(s[start:], default=0.0) < bound


@settings(max_examples=15, deadline=None)
@given(
    st.integers(8, 150),
    st.floats(0.01, 1e4),
    st.floats(-1e4, 1e4),
    st.floats(0, 2 * np.pi),
    st.floats(1, 10).flatmap(lambda r: st.sampled_from([r, -r])),
)
def test_a_step_in_a_noiseless_sine_scores_high_at_its_start(
    period: int, amplitude: float, offset: float, phase: float, step: float
) -> None:
    """No value of a noiseless sine repeats, so the run of repeats a change ends said nothing
    of a step in it: every row of a step of 8 scored 0.038 (1 nat). Its rows are misses after
    thousands of predicted rows, and the run of them is read by the rule of succession. (A
    step under the series' resolution is not seen: a sine of period 8 takes five values, and
    a value is judged to 1e-6 of itself.)"""
    assume(amplitude >= 1e-3 * (1.0 + abs(offset)))
    start = 3 * period + 1400
    t = np.arange(start + 100)
    x = offset + amplitude * np.sin(2 * np.pi * t / period + phase)
    x[start:] += step * amplitude
    s = scores(list(x))
    assert max(s[3 * period + 400 : start]) < LOW
    assert max(s[start : start + 10]) > to_score(12.0)


def test_the_rule_of_succession_reads_a_run_of_misses() -> None:
    """One miss after k predicted rows is ln(k + 2) nats; each further miss in the run is
    less surprising than the one before, and a run after more predicted rows more so."""
    assert succession_nats(0, 0) == pytest.approx(np.log(2.0))
    assert succession_nats(998, 0) == pytest.approx(np.log(1000.0))
    for quiet in (0, 10, 1000):
        steps = [succession_nats(quiet, m) for m in range(20)]
        assert all(a > b > 0 for a, b in itertools.pairwise(steps))
        assert all(succession_nats(quiet + 1, m) > succession_nats(quiet, m) for m in range(20))


def test_a_first_value_that_differs_does_not_make_the_run_after_it_look_stuck() -> None:
    """The first value follows none: counted as a change, it taught the stuck evidence that a
    new value seldom repeats, and the long run after a second row that differed read as
    stuck for over a hundred rows (on main before the fix: 8.2-9.8 nats at row 200)."""
    for first, flat, second in ((1, 146, 5), (1, 146, 100), (2, 100, 5), (2, 100, 100)):
        x = [0.0] * first + [1.0] * flat + [0.0] * second + [1.0] * 300
        assert max(scores(x)[AFTER_WARMUP:]) < LOW


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


def test_the_seasonal_profile_keeps_little_of_the_noise() -> None:
    # Each phase learns once a period; a fast rate leaves a jitter of ~0.23 noise sd in the
    # profile (measured at 0.1 a period), which widens every residual and hides small anomalies.
    period, sd = 48, 0.5
    truth = 3 * np.sin(2 * np.pi * (np.arange(period) - 1) / period)  # phase = row number % period
    for seed in (5, 6, 7):
        rng = np.random.default_rng(seed)
        t = np.arange(6000)
        det = SeriesDetector()
        for v in 10 + 3 * np.sin(2 * np.pi * t / period) + rng.normal(0, sd, len(t)):
            det.score(float(v))
        assert det.period == period
        assert np.std(np.asarray(det.season) - truth) < 0.2 * sd


def test_a_state_saved_before_the_calibrations_lagged_still_loads() -> None:
    """A state saved before `waiting` existed loads with nothing waiting; the stuck kind keeps
    its lag from the code, not the state, and its queue stays bounded by it."""
    x = 10 + np.random.default_rng(4).normal(0, 1, 700)
    original = SeriesDetector()
    for v in x[:400]:
        original.score(float(v))
    saved = json.loads(json.dumps(original.dump(), allow_nan=False))
    for part in saved["calibrations"]["parts"]:
        del part["waiting"]
    restored = SeriesDetector()
    restored.load(saved)
    assert [len(p.waiting) for p in restored.calibrations.parts] == [0] * PARTS
    for v in x[400:]:
        restored.score(float(v))
    assert [p.lag for p in restored.calibrations.parts] == LAGS
    assert [len(p.waiting) for p in restored.calibrations.parts] == LAGS


def test_a_state_saved_with_four_kinds_of_evidence_still_loads() -> None:
    """A state saved before the drift kind was calibrated apart (four kinds) loads; the drift
    kind starts with an empty history and scoring goes on."""
    x = 10 + np.random.default_rng(5).normal(0, 1, 700)
    original = SeriesDetector()
    for v in x[:400]:
        original.score(float(v))
    saved = json.loads(json.dumps(original.dump(), allow_nan=False))
    saved["calibrations"]["parts"] = saved["calibrations"]["parts"][:4]
    restored = SeriesDetector()
    restored.load(saved)
    assert restored.calibrations.parts[4].rows == 0.0
    assert all(0.0 <= restored.score(float(v)) < 1.0 for v in x[400:])


def test_a_state_saved_by_the_four_kind_version_does_not_page_after_the_upgrade() -> None:
    """data/series_state_four_kinds.json: SeriesDetector.dump() by commit 1b70ca6 (four kinds;
    the shift kind calibrated on the CUSUMs and the multi-horizon evidence together) after the
    first 3000 rows of this random walk. Loaded here, the drift kind starts with no history of
    its own; the walk's next 1000 rows page on none, as that version and this one trained
    afresh do (16 such states, random walks, AR(1), white noise, counts: never more rows over
    the threshold than this version trained afresh)."""
    x = np.cumsum(np.random.default_rng(3).normal(0, 1, 4000))
    saved = json.loads(
        (Path(__file__).parent / "data" / "series_state_four_kinds.json").read_text()
    )
    assert len(saved["calibrations"]["parts"]) == 4
    restored = SeriesDetector()
    restored.load(saved)
    s = np.asarray([restored.score(float(v)) for v in x[3000:]])
    assert np.sum(s > to_score(11.0)) == 0

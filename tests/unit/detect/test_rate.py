"""The rate detector: volume-aware CUSUM against a learned seasonal baseline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tripwire.detect.change import Change
from tripwire.detect.rate import RateDetector, RateParams

T0 = 29_000_000  # minutes since the epoch (a Monday-ish start is irrelevant here)


def changes(
    det: RateDetector, rng: np.random.Generator, minutes: int, start: int, n: float, p: float
) -> list[Change]:
    """What the detector says over `minutes` windows of about `n` trials at rate `p`."""
    out = []
    for i in range(minutes):
        trials = float(rng.poisson(n))
        events = float(rng.binomial(int(trials), min(p, 1.0)))
        change = det.update(start + i, trials, events)
        if change is not None:
            out.append(change)
    return out


def feed(
    det: RateDetector, rng: np.random.Generator, minutes: int, start: int, n: float, p: float
) -> list[tuple[str, int, int]]:
    return [
        ("confirmed" if c.rule == "confirmed" else c.state, c.started_at, c.detected_at)
        for c in changes(det, rng, minutes, start, n, p)
    ]


def test_it_stays_quiet_on_a_healthy_rate() -> None:
    rng = np.random.default_rng(1)
    det = RateDetector()
    assert feed(det, rng, 4 * 1440, T0, 30.0, 0.02) == []


def test_it_catches_a_tripled_rate_quickly_and_estimates_the_onset() -> None:
    rng = np.random.default_rng(2)
    det = RateDetector()
    assert feed(det, rng, 2 * 1440, T0, 30.0, 0.01) == []
    onset = T0 + 2 * 1440
    found = feed(det, rng, 180, onset, 30.0, 0.03)
    assert found, "a x3 rise at 30 trials/min must be caught within 3 hours"
    state, started, detected = found[0]
    assert state == "firing"
    assert detected - onset <= 60
    assert abs(started - onset) <= 30


def test_it_does_not_alert_before_its_baseline_is_warm() -> None:
    rng = np.random.default_rng(3)
    det = RateDetector()
    assert feed(det, rng, 600, T0, 30.0, 0.5) == []  # 10 h: still learning
    assert det.expected(T0 + 600) is None


def test_it_clears_once_and_does_not_flap_while_the_problem_lasts() -> None:
    rng = np.random.default_rng(4)
    det = RateDetector()
    feed(det, rng, 2 * 1440, T0, 20.0, 0.05)
    during = feed(det, rng, 6 * 60, T0 + 2 * 1440, 20.0, 0.15)
    assert [s for s, _, _ in during] == ["firing", "confirmed"]
    after = feed(det, rng, 6 * 60, T0 + 2 * 1440 + 360, 20.0, 0.05)
    assert [s for s, _, _ in after] == ["resolved"]


def test_low_traffic_needs_more_time_than_high_traffic() -> None:
    delays = []
    for volume in (2.0, 40.0):
        rng = np.random.default_rng(5)
        det = RateDetector()
        feed(det, rng, 2 * 1440, T0, volume, 0.05)
        found = feed(det, rng, 1440, T0 + 2 * 1440, volume, 0.10)
        assert found
        delays.append(found[0][2] - (T0 + 2 * 1440))
    assert delays[0] > delays[1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.005, 0.4))
def test_state_survives_a_dump_and_load(seed: int, p: float) -> None:
    rng = np.random.default_rng(seed)
    det = RateDetector(RateParams(warmup_minutes=60))
    feed(det, rng, 200, T0, 10.0, p)
    copy = RateDetector(RateParams(warmup_minutes=60))
    copy.load(det.dump())
    assert copy.dump() == det.dump()
    assert copy.expected(T0 + 200) == det.expected(T0 + 200)


def test_a_firing_episode_saved_by_an_older_version_still_resolves() -> None:
    """State persisted before rates and means shared `Episode` named the levels p0/p1."""
    det = RateDetector(RateParams(warmup_minutes=60))
    det.episode.load({"f": {"start": T0, "at": T0 + 5, "p0": 0.01, "p1": 0.05}, "r": 0.0})
    minute = T0 + 10
    while (change := det._recover(minute, 100.0, 1.0, 0.01)) is None and minute < T0 + 200:
        minute += 1
    assert change is not None
    assert (change.state, change.baseline, change.observed) == ("resolved", 0.01, 0.05)
    assert det.firing is None


def test_an_alert_is_sized_against_the_learned_rate_not_the_cautious_one() -> None:
    """The caution that keeps a young baseline from paging sets the test's lines; read into
    the size, a true 3x would report under a severity rule's 2.5x line."""
    rng = np.random.default_rng(7)
    det = RateDetector()
    feed(det, rng, 2 * 1440, T0, 30.0, 0.03)
    minute = T0 + 2 * 1440
    learned, cautious = det.baseline.expected(minute), det.baseline.cautious(minute)
    assert cautious > learned * 1.05, "a two-day baseline must still be cautious"
    fired = changes(det, rng, 180, minute, 30.0, 0.09)[0]
    assert fired.state == "firing"
    assert fired.baseline < cautious
    assert fired.baseline == pytest.approx(learned, rel=0.02)


def test_an_alert_says_how_soon_a_real_change_of_its_size_confirms() -> None:
    """A dense stream's tenfold rate would be confirmed within minutes, and is; a sparse
    stream's tripled one would take hours, so respond does not wait for it."""
    rng = np.random.default_rng(11)
    dense = RateDetector()
    feed(dense, rng, 3 * 1440, T0, 30.0, 0.01)
    found = changes(dense, rng, 240, T0 + 3 * 1440, 30.0, 0.1)
    fired, confirmation = found[0], next(c for c in found if c.rule == "confirmed")
    assert fired.state == "firing"
    assert fired.confirm_in is not None
    assert fired.confirm_in <= 5.0
    assert confirmation.detected_at - fired.detected_at <= 3 * fired.confirm_in + 5
    sparse = RateDetector()
    feed(sparse, rng, 3 * 1440, T0, 0.5, 0.01)
    fired = changes(sparse, rng, 20 * 1440, T0 + 3 * 1440, 0.5, 0.03)[0]
    assert fired.state == "firing"
    assert fired.confirm_in is not None
    assert fired.confirm_in >= 60.0

"""An alert's support: evidence after the alert for the level it reported. A change that holds
is confirmed within minutes; a chance excess (healthy windows after the alert) is confirmed at
most e^-CONFIRM of the time, and a real shift much smaller than the alert reported seldom."""

from __future__ import annotations

import math

import numpy as np

from tripwire.detect.episode import CONFIRM, Episode
from tripwire.detect.rate import RateDetector, _llr


def after_alert(rng: np.random.Generator, p: float, minutes: int = 360) -> Episode:
    """An episode fired at 2x a 5 % rate, then `minutes` windows of 20 trials at rate `p`,
    judged as the rate detector judges them."""
    base, seen = 0.05, 0.10
    episode = Episode(rising=True, cooldown=15)
    episode.fire(0, 0, base, seen)
    high = base + 0.5 * (seen - base)
    for minute in range(1, minutes + 1):
        n = float(rng.poisson(20))
        k = float(rng.binomial(int(n), p))
        recovered = _llr("bernoulli", n, k, high, base)
        support = _llr("bernoulli", n, k, base, seen)
        change = episode.settle(minute, recovered, 7.0, 15, support)
        if change is not None and change.state == "resolved":
            break
    return episode


def test_healthy_windows_after_a_chance_alarm_rarely_confirm_it() -> None:
    rng = np.random.default_rng(11)
    confirmed = sum(after_alert(rng, 0.05).confirmed for _ in range(400))
    assert confirmed / 400 <= math.exp(-CONFIRM) + 0.02  # Wald's bound, with sampling room


def test_a_real_shift_a_fifth_of_the_reported_one_is_mostly_not_confirmed() -> None:
    """5 % -> 6 % reported as 10 % (chance inflated it): over six hours after the alert."""
    rng = np.random.default_rng(14)
    confirmed = sum(after_alert(rng, 0.06).confirmed for _ in range(400))
    assert confirmed / 400 <= 0.2


def test_a_change_that_holds_is_confirmed() -> None:
    rng = np.random.default_rng(12)
    assert all(after_alert(rng, 0.10, minutes=120).confirmed for _ in range(50))


def test_a_detector_confirms_once_and_the_confirmation_survives_a_restart() -> None:
    rng = np.random.default_rng(13)
    det = RateDetector()
    changes = []
    for minute in range(3 * 1440):
        p = 0.05 if minute < 2 * 1440 else 0.15
        n = float(rng.poisson(20))
        change = det.update(minute, n, float(rng.binomial(int(n), p)))
        if change is not None:
            changes.append(change)
    assert [(c.state, c.rule) for c in changes] == [("firing", "cusum"), ("firing", "confirmed")]
    assert changes[0].started_at == changes[1].started_at
    again = RateDetector()
    again.load(det.dump())
    assert again.episode.confirmed
    assert again.episode.support == det.episode.support


def test_state_saved_before_the_support_counts_an_episode_in_progress_as_confirmed() -> None:
    episode = Episode(rising=True)
    episode.fire(0, 10, 0.05, 0.1)
    old = {k: v for k, v in episode.dump().items() if k not in ("v", "k")}
    loaded = Episode(rising=True)
    loaded.load(old)
    assert loaded.confirmed  # it paged as it did before; no confirmation alert follows

"""A new version's score means judged from its first score (`detect/since_birth.py`): the
likelihood ratio since the version began, whose line Ville's inequality sets for a probability
over the whole rollout, not a rate per trial."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tripwire.detect.mean import MeanDetector, MeanParams, Reference
from tripwire.detect.since_birth import SinceBirth, birth_lines

HEALTHY = Reference(0.8, 0.1)
HOURS = 6


def rollout(seed: int, alpha: float, drop: float = 0.0, sd: float = 0.1) -> int | None:
    """A version's first `HOURS` hours at 20 scores an hour, judged against the healthy
    reference it borrows; its CUSUM's lines out of reach so only the test from the first
    score can fire. Returns the minute it fired at, if it did."""
    rng = np.random.default_rng(seed)
    mean = MeanDetector(MeanParams(margin=0.0))
    mean.budget, mean.volume_hint = 1e-40, 20 * 168  # CUSUM lines near 100 nats
    mean.since.alpha = alpha
    for minute in range(1, HOURS * 60 + 1):
        scores = np.clip(rng.normal(0.8 - drop, sd, rng.poisson(20 / 60)), 0, 1)
        count, total = float(len(scores)), float(scores.sum())
        change = mean.update(minute, count, total, float((scores**2).sum()), HEALTHY)
        if change is not None:
            return minute
    return None


def test_lines_are_a_probability_split_between_the_designs() -> None:
    assert birth_lines(4, 0.002, 1.3, 6.0) == [pytest.approx(math.log(2000) + 1.3)] * 4
    assert birth_lines(4, 0.5, 0.0, 6.0) == [6.0] * 4  # never under the detector's floor


@pytest.mark.parametrize("sd", [0.1, 0.2])
def test_healthy_rollouts_reach_the_line_less_often_than_alpha(sd: float) -> None:
    """Ville's bound at a generous alpha (lines of about 4.7 nats with the floor lowered):
    200 healthy rollouts each, the version as the reference or twice as noisy (the reference
    widened to its recent spread). A test that restarted like a CUSUM, or lines set per
    window, would cross in most of them."""
    fired = [rollout(seed, alpha=0.2, sd=sd) for seed in range(200)]
    share = sum(at is not None for at in fired) / len(fired)
    assert share <= 0.2, share


def test_a_drop_from_the_first_score_is_caught_at_a_line_ville_allows() -> None:
    """A -0.06 step (0.6 sd) from the version's first score, at 0.002 over the rollout (the
    product's half-traffic version's share): caught within the six hours in most rollouts."""
    fired = [rollout(seed, alpha=0.002, drop=0.06) for seed in range(40)]
    caught = [at for at in fired if at is not None]
    assert len(caught) >= 36, fired
    assert float(np.median(caught)) <= 150, caught


def test_a_spent_test_stays_done_and_survives_a_save() -> None:
    since = SinceBirth(alpha=0.01)
    assert since.active()
    since.add(5, [3.0, 2.1, 2.4])
    since.add(6, [2.0, 1.4, 1.6])
    assert since.start == 5
    assert since.sums == pytest.approx([5.0, 3.5, 4.0])
    # Gaussian tilts of sd 0.1 toward lower scores: lam = -c / 0.1, psi = c^2 / 2.
    assert since.llrs(0.8, [-6.0], [0.18]) == [pytest.approx(-6.0 * (3.5 - 4.0) - 5 * 0.18)]
    copy = SinceBirth()
    copy.load(since.dump())
    assert copy == since
    since.stop()
    assert not since.active()

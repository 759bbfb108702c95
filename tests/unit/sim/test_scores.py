"""Clipped scores: the clipped mean, and a noisy version centred to keep it."""

from __future__ import annotations

import numpy as np
import pytest

from tripwire.sim.scores import centre_for, clipped_mean, draw_scores


@pytest.mark.parametrize(("mu", "sd"), [(0.85, 0.15), (0.85, 0.2), (0.5, 0.3), (0.97, 0.25)])
def test_the_clipped_mean_is_what_clipped_draws_average(mu: float, sd: float) -> None:
    draws = np.clip(np.random.default_rng(1).normal(mu, sd, 1_000_000), 0, 1)
    assert float(clipped_mean(np.array(mu), np.array(sd))) == pytest.approx(draws.mean(), abs=1e-3)


def test_a_wider_spread_is_centred_higher_to_keep_the_clipped_mean() -> None:
    means = np.array([0.85, 0.6, 0.2])
    centre = centre_for(means, np.full(3, 0.25), 0.15)
    assert centre[0] > 0.85  # away from the nearer edge
    assert centre[2] < 0.2
    kept = clipped_mean(centre, np.full(3, 0.25))
    assert kept == pytest.approx(clipped_mean(means, np.full(3, 0.15)), abs=1e-9)


def test_outputs_at_the_healthy_spread_get_the_plain_normal_draws() -> None:
    """So a scenario without a noisy version is the same, value for value, as before."""
    mean = 0.84 + np.linspace(-0.05, 0.0, 500)
    sd = np.where(np.arange(500) % 4 == 0, 0.2, 0.15)
    plain = np.clip(np.random.default_rng(7).normal(mean, sd), 0, 1)
    drawn = draw_scores(np.random.default_rng(7), mean, sd, 0.15)
    healthy = sd == 0.15
    assert np.array_equal(plain[healthy], drawn[healthy])
    assert not np.array_equal(plain[~healthy], drawn[~healthy])

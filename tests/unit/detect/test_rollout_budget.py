"""A new version's segment spends half of its first week's share of the false-alarm budget in
its first six hours (a rollout is when the problems a version was deployed with show) and the
rest over the remainder of that week: a drop it was rolled out with is caught sooner, and per
series and week it spends no more than before."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tests.unit.detect.engine_support import DAY
from tests.unit.detect.engine_support import feed_versions as feed
from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.engine import (
    ROLLOUT_FACTORS,
    ROLLOUT_MINUTES,
    ROLLOUT_SPEND,
    WEEK_MINUTES,
    Engine,
    rollout_phase,
)


@pytest.fixture(scope="module")
def warm() -> Engine:
    """Two days of one version, all of the traffic."""
    engine = Engine(MonitorsConfig())
    feed(engine, np.random.default_rng(1), 0, 2 * DAY, {"v1": 1.0})
    return engine


def test_a_versions_first_week_spends_one_weeks_share() -> None:
    window = ROLLOUT_FACTORS[0] * ROLLOUT_MINUTES
    rest = ROLLOUT_FACTORS[1] * (WEEK_MINUTES - ROLLOUT_MINUTES)
    assert window == pytest.approx(ROLLOUT_SPEND * WEEK_MINUTES)
    assert window + rest == pytest.approx(WEEK_MINUTES)
    assert ROLLOUT_FACTORS[2] == 1.0
    ages = (0, ROLLOUT_MINUTES - 1, ROLLOUT_MINUTES, WEEK_MINUTES - 1, WEEK_MINUTES)
    assert [rollout_phase(a) for a in ages] == [0, 0, 1, 1, 2]


def test_a_drop_rolled_out_with_a_version_is_caught_in_its_first_hours(warm: Engine) -> None:
    """A -0.05 quality step (half an sd) in a half-traffic rollout, six seeds: the version's
    segment alert came after a median of 212 minutes with even spending (main), 176 now."""
    delays = []
    for seed in range(2, 8):
        engine = copy.deepcopy(warm)
        rollout = {"v1": 0.5, "v2": 0.5}
        fired = feed(engine, np.random.default_rng(seed), 2 * DAY, 8 * 60, rollout, drop=0.05)
        segment = [
            at for at, monitor, version in fired if (monitor, version) == ("quality-score", "v2")
        ]
        delays.append(segment[0] if segment else 10**6)
    assert float(np.median(delays)) <= 190, delays


def test_a_healthy_rollout_spends_its_stated_share(warm: Engine) -> None:
    engine = copy.deepcopy(warm)
    rng = np.random.default_rng(20)
    assert feed(engine, rng, 2 * DAY, 60, {"v1": 0.5, "v2": 0.5}) == []
    key = ("quality-score", "chat", "product", "prompt_version", "v2")
    mean = engine.series[key].mean
    assert mean is not None
    share = engine.stream_budget("chat", segment=True, mean=True)
    # In the rollout window: half its first week's share (0.0035 false alarms for this
    # version's quality series), hence 14 times the even rate.
    assert mean.budget == pytest.approx(share * ROLLOUT_FACTORS[0])
    assert feed(engine, rng, 2 * DAY + 60, ROLLOUT_MINUTES, {"v1": 0.5, "v2": 0.5}) == []
    assert mean.budget == pytest.approx(share * ROLLOUT_FACTORS[1])
    # Twenty healthy rollouts of six hours (the stated spend: about 0.0035 false alarms per
    # version's series and rollout, rates converted at their line slack): no alert.
    for seed in range(30, 50):
        engine = copy.deepcopy(warm)
        rollout = {"v1": 0.5, "v2": 0.5}
        assert feed(engine, np.random.default_rng(seed), 2 * DAY, ROLLOUT_MINUTES, rollout) == []

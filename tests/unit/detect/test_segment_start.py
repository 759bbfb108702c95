"""A version's series starts on what it has shown: a new version's lines are set for its share
of the total's volume from its first window, and a version that was all of the traffic (whose
detector the total spoke for) has learned its own scores by the time another version appears."""

from __future__ import annotations

from functools import partial

import numpy as np

from tests.unit.detect.engine_support import DAY, feed_versions
from tripwire.config.monitors import MonitorsConfig
from tripwire.detect.engine import Engine
from tripwire.detect.series_state import Series

# scored and rated outputs around 0.6 ("noisy" spreads twice as wide), 40 an hour
feed = partial(feed_versions, per_hour=40.0, level=0.6)


def series(engine: Engine, monitor: str, version: str = "") -> Series:
    field = "prompt_version" if version else ""
    return next(
        s
        for k, s in engine.series.items()
        if k[0] == monitor and k[3] == field and k[4] == version and k[2] in ("", "product")
    )


def test_a_new_version_starts_with_lines_for_its_share_not_on_the_floor() -> None:
    rng = np.random.default_rng(1)
    engine = Engine(MonitorsConfig())
    feed(engine, rng, 0, 2 * DAY, {"v1": 1.0})
    feed(engine, rng, 2 * DAY, 20, {"v1": 0.5, "v2": 0.5})
    for monitor, part in (("quality-score", "mean"), ("negative-feedback", "rate")):
        total = getattr(series(engine, monitor), part)
        new = getattr(series(engine, monitor, "v2"), part)
        floor = new.params.threshold
        # Set for the volume it had learned at its first window (next to nothing), they sat
        # on the floor, several nats under its budget's.
        assert min(new.full) > floor, (monitor, new.full)
    # After its rollout window (where it spends half its first week's share, see
    # test_rollout_budget.py) a segment has a quarter of a total's share and a margin: its
    # lines sit above the total's.
    feed(engine, rng, 2 * DAY + 20, 6 * 60, {"v1": 0.5, "v2": 0.5})
    for monitor, part in (("quality-score", "mean"), ("negative-feedback", "rate")):
        total = getattr(series(engine, monitor), part)
        new = getattr(series(engine, monitor, "v2"), part)
        assert min(new.full) > min(total.full), (monitor, new.full, total.full)


def test_a_version_that_was_all_the_traffic_has_learned_its_own_scores() -> None:
    rng = np.random.default_rng(2)
    engine = Engine(MonitorsConfig())
    feed(engine, rng, 0, 3 * DAY, {"v1": 1.0}, per_hour=200)
    # a noisier prompt, all of the traffic
    feed(engine, rng, 3 * DAY, int(1.5 * DAY), {"noisy": 1.0}, per_hour=200)
    feed(engine, rng, int(4.5 * DAY), 8 * 60, {"noisy": 0.5, "v3": 0.5}, per_hour=200)
    noisy = series(engine, "quality-score", "noisy")
    assert noisy.mean is not None
    assert not noisy.dominant()
    # Judged on its own day and a half of scores (sd 0.2), not on the total's baseline,
    # learned mostly on the older version's (sd 0.1).
    assert noisy.mean.ready()
    reference = noisy.mean.reference()
    assert reference is not None
    assert reference.sd > 0.17, reference

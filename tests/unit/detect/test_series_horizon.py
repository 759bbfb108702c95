"""The generic series detector's multi-horizon evidence (`series_horizon`): changes that the
one-step residuals hide because the level trackers follow them, and how they fade."""

from __future__ import annotations

import numpy as np

from tripwire.detect.series import SeriesDetector
from tripwire.detect.series_horizon import HORIZONS, WARM, Horizons

LONGEST = max(HORIZONS)


def scores(values: np.ndarray) -> np.ndarray:
    det = SeriesDetector()
    return np.asarray([det.score(float(v)) for v in values])


def warmed(rows: int = WARM * LONGEST + 10, seed: int = 0) -> Horizons:
    """Horizons that have seen white noise around 0 predicted as 0."""
    h = Horizons()
    for v in np.random.default_rng(seed).normal(0, 1, rows):
        h.nats(float(v), 0.0, 1.0)
    return h


def test_a_slow_drift_outranks_every_normal_row_before_it() -> None:
    """A ramp to 6 noise SDs over 200 rows: the fast trackers follow it, so its one-step
    residuals stay ordinary (on the detector without horizons its highest row ranked under
    the noise before it); the newest rows against the prediction made 32-128 rows ago do not."""
    for seed in range(3):
        x = 10 + np.random.default_rng(seed).normal(0, 1, 3000)
        x[2000:2200] += 6 * np.arange(200) / 200
        s = scores(x)
        assert s[2000:2200].max() > s[300:2000].max()


def test_no_horizon_speaks_before_its_scale_is_learned() -> None:
    h = Horizons()
    # Wild values, but too few rows for any horizon to know what is ordinary here.
    assert all(h.nats(1e3 * (i % 2), 0.0, 1.0) == 0.0 for i in range(WARM * min(HORIZONS) - 1))


def test_a_held_offset_is_evidence_and_ordinary_noise_is_not() -> None:
    h = warmed()
    rng = np.random.default_rng(5)
    ordinary = [h.nats(float(v), 0.0, 1.0) for v in rng.normal(0, 1, 500)]
    assert np.mean(np.asarray(ordinary) > 10.0) < 0.005
    shifted = [h.nats(float(v) + 2.0, 0.0, 1.0) for v in rng.normal(0, 1, 40)]
    assert max(shifted) > 20.0  # 2 SDs held for 40 rows: plain in a mean of 16 or more


def test_a_restart_forgets_the_rows_of_the_old_model() -> None:
    h = warmed()
    for _ in range(40):
        h.nats(3.0, 0.0, 1.0)
    h.restart()
    assert h.nats(3.0, 3.0, 1.0) == 0.0  # no stored rows: nothing to compare yet


def test_a_restored_horizon_state_continues_exactly() -> None:
    a = warmed(700)
    b = Horizons()
    b.load(a.dump())
    for v in np.random.default_rng(3).normal(0, 1, 300):
        assert a.nats(float(v), 0.1, 1.0) == b.nats(float(v), 0.1, 1.0)

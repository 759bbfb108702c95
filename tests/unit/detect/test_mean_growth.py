"""A firing score-mean alert grows when the scores fall well past the alert's own level, and a
steady drop does not grow it, on skewed judge-like scores as on Gaussian ones."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.detect.test_mean_budget import histogram
from tripwire.detect.change import Change
from tripwire.detect.mean import MeanDetector

T0 = 29_000_000
DAY = 1440


class Stream:
    """Scores of a judge that is mostly satisfied (mean 0.94, long tail down), shifted."""

    def __init__(self, seed: int, per_hour: float = 120.0) -> None:
        self.rng = np.random.default_rng(seed)
        self.per_hour = per_hour
        self.det = MeanDetector()
        self.minute = T0

    def run(self, minutes: int, shift: float) -> list[Change]:
        out = []
        for _ in range(minutes):
            size = self.rng.poisson(self.per_hour / 60)
            v = np.clip(self.rng.beta(18.0, 1.2, size) + shift, 0, 1)
            sums = (float(size), float(v.sum()), float((v**2).sum()))
            change = self.det.update(self.minute, *sums, None, histogram(v))
            self.minute += 1
            if change is not None:
                out.append(change)
        return out


def firing(seed: int, drop: float) -> tuple[Stream, Change]:
    stream = Stream(seed)
    assert stream.run(2 * DAY, 0.0) == []
    fired = stream.run(6 * 60, drop)
    assert fired
    assert fired[0].state == "firing"
    return stream, fired[0]


def test_a_deeper_drop_behind_a_firing_alert_grows_it() -> None:
    stream, fired = firing(1, -0.05)
    changes = stream.run(120, -0.30)
    grew = [c for c in changes if c.rule == "grew"]
    assert len(grew) == 1, changes
    [change] = grew
    assert change.started_at == fired.started_at
    assert change.observed < fired.observed - 0.1
    assert change.magnitude > 2 * fired.magnitude
    assert stream.det.episode.seen == change.observed


@pytest.mark.parametrize("seed", range(4))
def test_a_steady_drop_does_not_grow(seed: int) -> None:
    stream, _ = firing(10 + seed, -0.1)
    changes = stream.run(DAY, -0.1)
    assert [c for c in changes if c.rule == "grew"] == []
    assert stream.det.firing is not None


def test_the_growth_evidence_survives_a_restart_and_older_state_loads() -> None:
    stream, _ = firing(20, -0.05)
    stream.run(5, -0.3)
    copy = MeanDetector()
    copy.load(stream.det.dump())
    assert copy.dump() == stream.det.dump()
    older = {k: v for k, v in stream.det.dump().items() if k not in ("g", "gs")}
    again = MeanDetector()
    again.load(older)
    assert again.growth.s == [0.0, 0.0, 0.0]
    assert again.firing == stream.det.firing

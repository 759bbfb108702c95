"""The pipeline gives way to ingest in `serve`: it waits for a gap, but never for long."""

from __future__ import annotations

import pytest

from tripwire.ingest.admission import Admission
from tripwire.runtime.priority import IngestFirst


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _setup() -> tuple[FakeTime, Admission, IngestFirst]:
    fake = FakeTime()
    admission = Admission(limit=4, monotonic=fake.monotonic)
    pause = IngestFirst(
        admission, quiet=0.02, max_wait=1.0, monotonic=fake.monotonic, sleep=fake.sleep
    )
    return fake, admission, pause


def test_no_ingest_means_no_wait() -> None:
    fake, _, pause = _setup()
    assert pause() == 0.0
    assert fake.slept == []


def test_a_batch_in_flight_holds_the_pipeline_back_at_most_max_wait() -> None:
    fake, admission, pause = _setup()
    with admission.slot():
        assert admission.idle_for() == 0.0
        assert pause() == pytest.approx(1.0, abs=0.002)
    assert max(fake.slept) <= 0.005  # it looks again often: a gap may open at any moment


def test_after_a_batch_the_pipeline_waits_for_the_quiet_period_only() -> None:
    fake, admission, pause = _setup()
    with admission.slot():
        pass
    fake.now += 0.005
    assert pause() == pytest.approx(0.015, abs=0.002)
    assert admission.idle_for() >= 0.02


def test_under_a_burst_each_wait_is_bounded_by_the_step_before_it() -> None:
    fake, admission, pause = _setup()
    with admission.slot():  # ingest busy throughout
        assert pause() == pytest.approx(1.0, abs=0.002)  # no step yet: up to max_wait
        fake.now += 0.05  # a 50 ms step
        assert pause() == pytest.approx(0.2, abs=0.002)  # 4 x the step: a fifth of the time
        fake.now += 0.001  # a tiny step: the next one is not held for long
        assert pause() == pytest.approx(0.004, abs=0.002)


def test_settings_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        IngestFirst(Admission(1), quiet=-1)
    with pytest.raises(ValueError, match="0 or more"):
        IngestFirst(Admission(1), ratio=-1)

"""PostgreSQL hands out seq at INSERT and makes rows visible at COMMIT, so a later seq can become
visible first. The follower must not move its cursor past an earlier seq still in flight."""

from __future__ import annotations

import threading

import pytest

import tripwire.pipeline.follower as follower_module
from tests.conftest import T0
from tests.integration.test_store_events import Recorder, metric, store
from tripwire.domain.clock import ManualClock
from tripwire.pipeline.follower import Follower
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import event_row, insert_new


def interleave(runtime: Runtime, follower: Follower) -> bool:
    """Event `late` gets its seq first but commits after `early` (a higher seq) is stored and
    the follower has started a step. Returns whether that step waited for `late`."""
    follower.step()  # join the group and lease the partitions first
    late = runtime.db.sessions()
    late.begin()
    insert_new(late, [event_row(metric(1), T0, T0)])
    store(runtime, [metric(2)])
    stepping = threading.Thread(target=follower.step)
    stepping.start()
    stepping.join(1.0)
    blocked = stepping.is_alive()
    late.commit()
    late.close()
    stepping.join(30)
    follower.step()
    follower.step()
    return blocked


def test_the_follower_waits_for_inserts_in_flight_and_skips_nothing(runtime: Runtime) -> None:
    recorder = Recorder()
    follower = Follower(runtime.db, [recorder], runtime.config, runtime.settings, ManualClock(T0))
    assert interleave(runtime, follower)
    assert sorted(recorder.seen) == ["m1", "m2"]


def test_without_the_lock_the_late_event_would_be_lost(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shows the hazard is real, so the test above can fail: with no high-water mark the cursor
    # jumps past the in-flight seq.
    monkeypatch.setattr(follower_module, "committed_high_water", lambda session: None)
    recorder = Recorder()
    follower = Follower(runtime.db, [recorder], runtime.config, runtime.settings, ManualClock(T0))
    interleave(runtime, follower)
    assert recorder.seen == ["m2"]

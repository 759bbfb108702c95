"""The partitioned pipeline on a real database (SQLite here, PostgreSQL in tests/pg): workers
share the partitions, a stopped or crashed worker's partitions move, and every event is handed
to the stages exactly once; detector state moves with its partition."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from tests.events_data import valid
from tripwire.domain.clock import ManualClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.pipeline.follower import LEASE_TTL, Follower, balance, dead_local
from tripwire.pipeline.stage import StageContext
from tripwire.runtime.modes import Mode
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import StoredEvent
from tripwire.store.partitions import (
    partition_count,
    partition_of,
    pending_by_part,
    pending_events,
)
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.runtime import PipelinePartitionRow

USE_CASES = [f"uc-{i}" for i in range(12)]


class Recorder:
    """A stage that counts what it was handed, by event id."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        self.seen.update(e.id for e in events)

    def tick(self, ctx: StageContext) -> None:
        return None


def outputs(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        valid(
            "output",
            id=f"o{i}",
            use_case=USE_CASES[i % len(USE_CASES)],
            ts="2026-11-20T09:00:00Z",
        )
        for i in range(start, start + count)
    ]


def store(runtime: Runtime, raws: list[dict[str, Any]]) -> None:
    store_events(runtime.db, parse_batch(raws), runtime.clock)


def follower(runtime: Runtime, recorder: Recorder, holder: str) -> Follower:
    return Follower(
        runtime.db, [recorder], runtime.config, runtime.settings, runtime.clock, 7, holder=holder
    )


def drain(*followers: Follower) -> None:
    for _ in range(200):
        if sum(f.step() for f in followers) == 0:
            return
    raise AssertionError("the followers never went idle")


def test_the_partition_of_a_use_case_is_stable_and_spread() -> None:
    assert partition_of("support-chat", 64) == partition_of("support-chat", 64)
    assert partition_of(None, 64) == 0
    assert len({partition_of(f"uc-{i}", 64) for i in range(200)}) > 50


def test_balance_spreads_load_and_every_partition() -> None:
    load = {0: 1000, 1: 900, 2: 100, 3: 100, 4: 0}
    plan = balance(load, range(8), ["a", "b"])
    assert set(plan) == set(range(8))
    weight = Counter[str]()
    for part, member in plan.items():
        weight[member] += load.get(part, 0) + 1
    assert abs(weight["a"] - weight["b"]) <= 200
    assert balance(load, range(8), ["a", "b"]) == plan


def test_a_holder_whose_process_is_gone_is_dead_at_once() -> None:
    import os
    import socket
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = socket.gethostname()
    gone, alive = f"{host}:{proc.pid}:1", f"{host}:{os.getppid()}:1"
    assert dead_local([gone, alive, f"elsewhere:{proc.pid}:1"]) == [gone]


def test_one_worker_takes_every_partition_and_sees_each_event_once(runtime: Runtime) -> None:
    store(runtime, outputs(60))
    with runtime.db.session() as session:
        assert pending_events(session) == 60
    recorder = Recorder()
    drain(follower(runtime, recorder, "a"))
    assert len(recorder.seen) == 60
    assert set(recorder.seen.values()) == {1}
    with runtime.db.session() as session:
        assert pending_events(session) == 0


def test_two_workers_split_the_partitions_and_skip_nothing(runtime: Runtime) -> None:
    store(runtime, outputs(50))
    first, second = Recorder(), Recorder()
    a, b = follower(runtime, first, "a"), follower(runtime, second, "b")
    a.step()
    b.step()  # b joins: the coordinator (a) hands it half at a's next round
    drain(a, b)
    store(runtime, outputs(50, start=50))
    drain(a, b)
    assert a.owned
    assert b.owned
    assert not set(a.owned) & set(b.owned)
    assert len(a.owned) + len(b.owned) == partition_count_of(runtime)
    seen = first.seen + second.seen
    assert len(seen) == 100
    assert set(seen.values()) == {1}
    assert first.seen
    assert second.seen


def test_a_stopped_worker_hands_its_partitions_over_at_once(runtime: Runtime) -> None:
    first, second = Recorder(), Recorder()
    a, b = follower(runtime, first, "a"), follower(runtime, second, "b")
    drain(a, b)
    drain(a, b)
    b.close()
    store(runtime, outputs(40))
    drain(a)
    assert len(a.owned) == partition_count_of(runtime)
    assert len(first.seen) == 40


def test_a_crashed_worker_loses_its_partitions_after_the_lease(
    runtime: Runtime, clock: ManualClock
) -> None:
    first, second = Recorder(), Recorder()
    a, b = follower(runtime, first, "a"), follower(runtime, second, "b")
    drain(a, b)
    drain(a, b)
    store(runtime, outputs(40))
    b.step()  # b processes some of its share, then "crashes": it never steps again
    clock.advance(LEASE_TTL / 2)
    drain(a)
    assert len(a.owned) < partition_count_of(runtime)  # b's leases are still live
    clock.advance(LEASE_TTL)
    drain(a)
    drain(a)
    assert len(a.owned) == partition_count_of(runtime)
    seen = first.seen + second.seen
    assert len(seen) == 40
    assert set(seen.values()) == {1}


def test_detector_state_moves_with_its_partition(runtime: Runtime, clock: ManualClock) -> None:
    """A worker counts part of a minute, crashes; the next owner resumes the same counts."""
    store(runtime, outputs(24))
    a = Follower(
        runtime.db,
        runtime.partitioned_stages(Mode.WORKER),
        runtime.config,
        runtime.settings,
        clock,
        holder="a",
    )
    drain(a)
    store(runtime, outputs(24, start=24))
    clock.advance(LEASE_TTL * 2)  # a crashed: its leases run out, same minute
    b_stages = runtime.partitioned_stages(Mode.WORKER)
    b = Follower(runtime.db, b_stages, runtime.config, runtime.settings, clock, holder="b")
    drain(b)
    drain(b)
    counted = sum(
        cell.outputs for stage in b_stages.detect.values() for cell in stage.engine.open_cells()
    )
    assert counted == 48


def partition_count_of(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return partition_count(session)


def test_the_partition_count_is_fixed_at_creation(runtime: Runtime) -> None:
    import pytest

    from tripwire.store.partitions import PartitionCountMismatch, ensure_partitions

    with runtime.db.session() as session, pytest.raises(PartitionCountMismatch, match="64"):
        ensure_partitions(session, 16, runtime.clock.now())
    assert partition_count_of(runtime) == 64
    assert timedelta(0) < LEASE_TTL <= timedelta(seconds=5)


def test_a_worker_asks_only_about_its_own_partitions(runtime: Runtime) -> None:
    store(runtime, outputs(24))
    with runtime.db.session() as session:
        count = partition_count(session)
        every = pending_by_part(session)
        mine = sorted(every)[:2]
        assert pending_by_part(session, parts=mine) == {p: every[p] for p in mine}
        assert pending_by_part(session, parts=[]) == {}
    assert len(every) == len({partition_of(u, count) for u in USE_CASES})


def test_pending_is_the_newest_seq_past_the_cursor_up_to_the_bound(runtime: Runtime) -> None:
    store(runtime, outputs(24))
    with runtime.db.session() as session:
        count = partition_count(session)
        rows = session.execute(select(EventRow.part, EventRow.seq).order_by(EventRow.seq)).all()
        seqs: dict[int, list[int]] = {}
        for part, seq in rows:
            seqs.setdefault(int(part), []).append(int(seq))
        busy = min(seqs)
        middle = seqs[busy][len(seqs[busy]) // 2]
        assert pending_by_part(session) == {p: s[-1] for p, s in seqs.items()}
        # The bound cuts the newest seq; a partition with nothing at or below it is not pending.
        bounded = pending_by_part(session, upto=middle)
        assert bounded[busy] == middle
        assert all(p not in bounded or bounded[p] <= middle for p in seqs)
        # A cursor at the newest seq of its partition leaves nothing pending there.
        session.execute(
            update(PipelinePartitionRow)
            .where(PipelinePartitionRow.part == busy)
            .values(position=seqs[busy][-1])
        )
        assert busy not in pending_by_part(session)
        empty = next(p for p in range(count) if p not in seqs)
        assert empty not in pending_by_part(session, parts=[busy, empty])

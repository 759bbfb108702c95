"""A pipeline step on SQLite reads its batch and lets the stages prepare it before it takes the
database's one write lock, so ingest commits meanwhile; the batch is still handed over exactly
once when the cursor moved or events were deleted between that read and the lock."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from tests.events_data import valid
from tripwire.ingest.retention import delete_user
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.pipeline.follower import Follower
from tripwire.pipeline.stage import StageContext
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import StoredEvent

USE_CASE = "support-chat"


class Preparing:
    """A stage that records what it was asked to prepare and what it handled; `during` runs
    inside `prepare`, where the step must not hold the write lock."""

    name = "preparing"

    def __init__(self, during: Callable[[], None] = lambda: None) -> None:
        self.during = during
        self.prepared: list[str] = []
        self.seen: Counter[str] = Counter()

    def prepare(self, events: Sequence[StoredEvent]) -> None:
        self.prepared.extend(e.id for e in events)
        self.during()

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        self.seen.update(e.id for e in events)

    def tick(self, ctx: StageContext) -> None:
        return None


def outputs(ids: range, **extra: Any) -> list[dict[str, Any]]:
    return [
        valid("output", id=f"o{i}", use_case=USE_CASE, ts="2026-11-20T09:00:00Z", **extra)
        for i in ids
    ]


def store(runtime: Runtime, raws: list[dict[str, Any]]) -> None:
    store_events(runtime.db, parse_batch(raws), runtime.clock)


def sqlite_path(runtime: Runtime) -> str:
    return runtime.db.url.split("///", 1)[1]


def drain(follower: Follower) -> None:
    for _ in range(50):
        if follower.step() == 0:
            return
    raise AssertionError("the follower never went idle")


def test_ingest_commits_while_a_step_reads_and_prepares_its_batch(runtime: Runtime) -> None:
    store(runtime, outputs(range(5)))
    took_lock: list[bool] = []

    def another_writer() -> None:
        # Without waiting: a step holding the write lock here would make this fail at once.
        other = sqlite3.connect(sqlite_path(runtime), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_lock.append(True)
        except sqlite3.OperationalError:
            took_lock.append(False)
        finally:
            other.close()
        if len(took_lock) == 1:  # and a real ingest batch, through the ingest path
            store(runtime, outputs(range(100, 103)))

    stage = Preparing(another_writer)
    follower = Follower(
        runtime.db, [stage], runtime.config, runtime.settings, runtime.clock, 1000, holder="a"
    )
    drain(follower)
    assert took_lock
    assert all(took_lock)
    assert {f"o{i}" for i in range(5)} <= set(stage.prepared)
    expected = {f"o{i}" for i in (*range(5), *range(100, 103))}
    assert set(stage.seen) == expected
    assert set(stage.seen.values()) == {1}


def test_a_cursor_moved_between_the_read_and_the_lock_is_read_again(runtime: Runtime) -> None:
    store(runtime, outputs(range(10)))
    path = sqlite_path(runtime)
    moved: list[int] = []

    def another_holder_stepped() -> None:
        # As if another worker had processed the first three events meanwhile (once).
        if "o0" in stage.prepared and not moved:
            moved.append(1)
            with sqlite3.connect(path) as other:
                (third,) = other.execute("SELECT seq FROM events WHERE id = 'o2'").fetchone()
                other.execute("UPDATE pipeline_partitions SET position = ?", (third,))

    stage = Preparing(another_holder_stepped)
    follower = Follower(
        runtime.db, [stage], runtime.config, runtime.settings, runtime.clock, 1000, holder="a"
    )
    drain(follower)
    assert set(stage.seen) == {f"o{i}" for i in range(3, 10)}
    assert set(stage.seen.values()) == {1}


def test_events_deleted_between_the_read_and_the_lock_are_not_handled(runtime: Runtime) -> None:
    store(runtime, outputs(range(3), user_id="alice") + outputs(range(3, 6), user_id="bob"))

    def alice_asks_for_deletion() -> None:
        if "o0" in stage.prepared and not stage.seen:
            delete_user(runtime.db, runtime.clock, "alice", "test")

    stage = Preparing(alice_asks_for_deletion)
    follower = Follower(
        runtime.db, [stage], runtime.config, runtime.settings, runtime.clock, 1000, holder="a"
    )
    drain(follower)
    assert set(stage.prepared) >= {f"o{i}" for i in range(6)}
    assert set(stage.seen) == {"o3", "o4", "o5"}

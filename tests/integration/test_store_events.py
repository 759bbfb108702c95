"""The events store and the follower, on a real database (SQLite here, PostgreSQL in tests/pg)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import T0
from tests.events_data import valid
from tripwire.domain.clock import ManualClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.pipeline.follower import Follower
from tripwire.pipeline.stage import StageContext
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import (
    StoredEvent,
    committed_high_water,
    event_row,
    insert_new,
    iter_by_time,
    max_seq,
    outputs_by_id,
    outputs_by_response_id,
    read_after,
)
from tripwire.store.migrate import upgrade


class Recorder:
    """A stage that remembers what it was handed."""

    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        self.seen.extend(e.id for e in events)

    def tick(self, ctx: StageContext) -> None:
        return None


def metric(i: int, minute: int = 0) -> dict[str, Any]:
    return valid("metric", id=f"m{i}", ts=f"2026-11-20T09:{minute:02d}:00Z", value=i)


def store(runtime: Runtime, raws: list[dict[str, Any]]) -> tuple[int, int]:
    result = store_events(runtime.db, parse_batch(raws), runtime.clock)
    return result.accepted, result.duplicates


def test_migrations_are_idempotent(runtime: Runtime) -> None:
    upgrade(runtime.db.engine)
    upgrade(runtime.db.engine)
    assert store(runtime, [metric(1)]) == (1, 0)


def test_duplicates_are_counted_not_stored(runtime: Runtime) -> None:
    assert store(runtime, [metric(1), metric(2), metric(1)]) == (2, 1)
    assert store(runtime, [metric(2), metric(3)]) == (1, 1)
    with runtime.db.session() as session:
        assert [e.id for e in iter_by_time(session)] == ["m1", "m2", "m3"]


def test_an_id_sent_again_with_another_time_is_a_duplicate(runtime: Runtime) -> None:
    """The id alone is the key, on PostgreSQL too, where `events` is partitioned by day of ts:
    neither a later time on the same day nor another day stores the id a second time."""
    first = valid("metric", id="m-1", ts="2026-11-20T09:00:00Z")
    same_day = valid("metric", id="m-1", ts="2026-11-20T09:05:00Z")
    next_day = valid("metric", id="m-1", ts="2026-11-21T09:00:00Z")
    in_one_batch = store_events(runtime.db, parse_batch([first, same_day]), runtime.clock)
    later = store_events(runtime.db, parse_batch([same_day, next_day]), runtime.clock)
    assert (in_one_batch.accepted, in_one_batch.duplicates) == (1, 1)
    assert (later.accepted, later.duplicates) == (0, 2)
    with runtime.db.session() as session:
        assert [(e.id, e.ts) for e in iter_by_time(session)] == [("m-1", T0)]


def test_insert_new_returns_the_seq_of_what_it_inserted(runtime: Runtime) -> None:
    rows = [event_row({"id": f"x{i}", "type": "metric"}, T0, T0) for i in range(3)]
    with runtime.db.session() as session:
        first = insert_new(session, rows[:2])
        second = insert_new(session, rows)
    assert set(first) == {"x0", "x1"}
    assert list(second) == ["x2"]
    assert second["x2"] > max(first.values())


def test_events_come_back_in_time_order_whatever_the_arrival(runtime: Runtime) -> None:
    store(runtime, [metric(1, minute=30), metric(2, minute=5)])
    store(runtime, [metric(3, minute=5), metric(4, minute=1)])
    with runtime.db.session() as session:
        ordered = [e.id for e in iter_by_time(session, batch=1)]
    assert ordered == ["m4", "m2", "m3", "m1"]


def test_read_after_follows_by_seq_and_respects_the_high_water_mark(runtime: Runtime) -> None:
    store(runtime, [metric(i) for i in range(5)])
    with runtime.db.session() as session:
        events, position = read_after(session, 0, 2)
        assert [e.id for e in events] == ["m0", "m1"]
        rest, end = read_after(session, position, 100, upto=position + 2)
        assert [e.id for e in rest] == ["m2", "m3"]
        assert end == position + 2
        assert read_after(session, max_seq(session), 100) == ([], max_seq(session))
        mark = committed_high_water(session)
        assert mark is None if runtime.db.is_sqlite else mark == max_seq(session)


def test_stored_payloads_round_trip(runtime: Runtime) -> None:
    event = valid("output", attributes={"n": 2**70, "deep": {"a": [1, {"b": None}]}})
    store(runtime, [event])
    with runtime.db.session() as session:
        (stored,) = list(iter_by_time(session))
    assert stored.payload["attributes"] == {"n": 2**70, "deep": {"a": [1, {"b": None}]}}
    assert stored.payload["ts"] == "2026-11-20T09:00:00Z"
    assert stored.ts == T0


def test_outputs_are_found_by_id_and_by_response_id(runtime: Runtime) -> None:
    attrs = {"gen_ai.response.id": "chatcmpl-7"}
    store(runtime, [valid("output", attributes=attrs), valid("metric")])
    with runtime.db.session() as session:
        assert outputs_by_id(session, ["out-1", "m-1", "zz"]) == {
            "out-1": ("out-1", "support-chat")
        }
        found = outputs_by_response_id(session, ["chatcmpl-7", "x"], T0 - timedelta(days=1))
        assert found == {"chatcmpl-7": ("out-1", "support-chat")}
        assert outputs_by_response_id(session, ["chatcmpl-7"], T0 + timedelta(seconds=1)) == {}


def test_the_follower_hands_each_event_to_the_stages_once(runtime: Runtime) -> None:
    recorder = Recorder()
    clock = ManualClock(T0)
    follower = Follower(runtime.db, [recorder], runtime.config, runtime.settings, clock, batch=3)
    store(runtime, [metric(i, minute=10 - i) for i in range(5)])
    assert follower.step() > 0
    assert recorder.seen == ["m2", "m1", "m0"]  # ts order within a step
    assert follower.step() > 0
    assert follower.step() == 0
    assert len(recorder.seen) == 5
    store(runtime, [metric(1, minute=9), metric(9)])  # m1 again (a retry), and a new one
    assert follower.step() > 0
    assert follower.step() == 0
    assert sorted(recorder.seen) == ["m0", "m1", "m2", "m3", "m4", "m9"]
    other = Follower(runtime.db, [Recorder()], runtime.config, runtime.settings, clock)
    assert other.step() == 0  # another process does not lead while the lease is held


def test_bulk_loaded_rows_read_back_like_ingested_ones(runtime: Runtime) -> None:
    from sqlalchemy import text

    from tripwire.pipeline.replay import prepare, replay

    ingested = valid("output", id="via-http", ts="2026-11-20T10:00:00.5+01:00")
    loaded = valid("output", id="via-replay", ts="2026-11-20T10:00:00.5+01:00")
    store(runtime, [ingested])
    replay(runtime.db, prepare(parse_batch([loaded])), [], runtime.config, runtime.settings)
    with runtime.db.session() as session:
        by_id = {e.id: e for e in iter_by_time(session)}
        query = text("SELECT id, type, ts, use_case, output_id, origin FROM events")
        raw = {row[0]: tuple(row[1:]) for row in session.execute(query)}
    a, b = by_id["via-http"], by_id["via-replay"]
    assert (a.ts, a.type, a.use_case) == (b.ts, b.type, b.use_case)
    assert {**a.payload, "id": "x"} == {**b.payload, "id": "x"}
    assert raw["via-http"] == raw["via-replay"]


def test_replay_feeds_the_stages_in_ts_order_once(runtime: Runtime) -> None:
    from tripwire.pipeline import replay as replay_module

    recorder = Recorder()
    events = parse_batch([metric(i, minute=(i * 7) % 60) for i in range(40)])
    original = replay_module.CHUNK
    replay_module.CHUNK = 7  # several chunks
    try:
        first = replay_module.replay(
            runtime.db, events, [recorder], runtime.config, runtime.settings
        )
        again = replay_module.replay(
            runtime.db, events, [recorder], runtime.config, runtime.settings
        )
    finally:
        replay_module.CHUNK = original
    assert (first.accepted, first.duplicates) == (40, 0)
    assert (again.accepted, again.duplicates) == (0, 40)
    minutes = [int(i[1:]) * 7 % 60 for i in recorder.seen]
    assert minutes == sorted(minutes)
    assert sorted(recorder.seen) == sorted(f"m{i}" for i in range(40))


@pytest.mark.parametrize("through", ["store_events", "load_count"])
def test_rows_are_prepared_before_the_write_lock_is_taken(
    runtime: Runtime, monkeypatch: Any, through: str
) -> None:
    # The batch's parameters are built while other writers (the pipeline, other batches) can
    # still write: SQLite's one write lock is held only for the insert and the commit. Both
    # ways in: validated events (`store_events`, one pass from the models) and `LoadRow`s.
    import sqlite3

    if not runtime.db.is_sqlite:
        pytest.skip("SQLite's write lock (tests/pg imports this module)")

    from tripwire.ingest import writer
    from tripwire.store import events as events_store

    path = runtime.db.url.split("///", 1)[1]
    lock_free: list[bool] = []
    module: Any = writer if through == "store_events" else events_store
    name = "sqlite_params" if through == "store_events" else "_sqlite_params"
    prepare = getattr(module, name)

    def spying(*args: Any, **kwargs: Any) -> Any:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            lock_free.append(True)
        except sqlite3.OperationalError:  # database is locked
            lock_free.append(False)
        finally:
            other.close()
        return prepare(*args, **kwargs)

    monkeypatch.setattr(module, name, spying)
    events = parse_batch([metric(1), metric(2)])
    if through == "store_events":
        assert store_events(runtime.db, events, runtime.clock).accepted == 2
    else:
        with runtime.db.session() as session:
            rows = [writer.load_row(e) for e in events]
            assert events_store.load_count(session, rows, runtime.clock.now()) == 2
    assert lock_free == [True]


def test_times_are_stored_as_naive_utc_text_with_microseconds(runtime: Runtime) -> None:
    from datetime import UTC, datetime, timezone

    if not runtime.db.is_sqlite:
        pytest.skip("SQLite's stored text (tests/pg imports this module)")

    from sqlalchemy import text

    from tripwire.store.events import load_count

    paris = timezone(timedelta(hours=1))
    rows = [
        ("whole", "metric", datetime(2026, 11, 20, 10, 0, tzinfo=paris), "u", None, "{}"),
        ("fraction", "metric", datetime(2026, 11, 20, 9, 0, 0, 5, tzinfo=UTC), "u", None, "{}"),
    ]
    received = datetime(2026, 11, 20, 10, 30, tzinfo=paris)
    with runtime.db.session() as session:
        assert load_count(session, rows, received) == 2
        query = text("SELECT id, ts || '|' || received_at FROM events")
        stored = dict(session.execute(query).all())
    assert stored == {
        "whole": "2026-11-20 09:00:00.000000|2026-11-20 09:30:00.000000",
        "fraction": "2026-11-20 09:00:00.000005|2026-11-20 09:30:00.000000",
    }

"""The per-user hourly counts of migration 0124 (`store/affected_hours.py`): the affected-users
query that reads them for a window's whole hours finds the users and counts of the portable
query on windows of every alignment; the store and the triggers keep them equal to a recount of
the stored outputs through ingest, a user's deletion and retention; the migration goes down and
up."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson
from alembic import command
from sqlalchemy import text

from tests.conftest import T0
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.retention import delete_user
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import counted_fields, load_row, store_events
from tripwire.pipeline.follower import Follower
from tripwire.respond import affected_sqlite
from tripwire.respond.affected import (
    AffectedScope,
    affected_summary,
    affected_totals,
    affected_users,
    portable_totals,
    portable_users,
)
from tripwire.runtime.wiring import Runtime
from tripwire.store import affected_hours
from tripwire.store.events import load_rows
from tripwire.store.migrate import alembic_config, upgrade

HOURS = 10
START = T0 - timedelta(hours=HOURS)
# Ids that start with '=' or are '=' itself: the key's encoding must keep them apart from
# each other and from an output with no user id.
USERS = [f"u-{n:02d}" for n in range(15)] + ["Ann", "=x", "=", "émile"]
USE_CASES = ("chat", "notes")


def _output(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """An output from half an hour before START to half an hour after T0, and its evidence."""
    ts = START + timedelta(seconds=rng.uniform(-1800, (HOURS + 0.5) * 3600))
    use_case = rng.choice(USE_CASES)
    oid = f"o{n}"
    out: dict[str, Any] = {
        "id": oid, "type": "output", "ts": isoformat_z(ts), "use_case": use_case,
        "model": rng.choice(["m1", "m2"]),
    }  # fmt: skip
    if rng.random() < 0.7:
        out["prompt_version"] = rng.choice(["p1", "p2"])
    if rng.random() < 0.8:
        out["user_id"] = rng.choice(USERS)
    if rng.random() < 0.2:
        out["scores"] = {"safety": round(rng.random(), 2), "groundedness": round(rng.random(), 2)}
    common = {"ts": isoformat_z(ts + timedelta(minutes=1)), "use_case": use_case, "output_id": oid}
    evidence: list[dict[str, Any]] = []
    if rng.random() < 0.2:
        evidence.append({"id": f"{oid}-s", "type": "safety", "filter": "moderation",
                         "triggered": rng.random() < 0.5, **common})  # fmt: skip
    if rng.random() < 0.2:
        evidence.append({"id": f"{oid}-g", "type": "score", "name": "groundedness",
                         "value": round(rng.random(), 2), **common})  # fmt: skip
    return [out, *evidence]


def store_traffic(runtime: Runtime, outputs: int = 1500, seed: int = 5) -> None:
    rng = random.Random(seed)
    events = [e for n in range(outputs) for e in _output(rng, n)]
    report = store_events(runtime.db, parse_batch(events), runtime.clock)
    assert report.accepted == len(events), report


def windows(seed: int = 9, n: int = 40) -> list[tuple[datetime, datetime]]:
    """Windows of every alignment: on the hour, a minute or a microsecond off it, inside one
    hour, over all the traffic."""
    rng = random.Random(seed)
    found = [
        (START, T0),
        (START - timedelta(hours=2), T0 + timedelta(hours=2)),
        (START + timedelta(minutes=1), T0 - timedelta(microseconds=1)),
        (START + timedelta(hours=3, minutes=5), START + timedelta(hours=3, minutes=50)),
        (START + timedelta(minutes=59), START + timedelta(hours=2, minutes=1)),
    ]
    for _ in range(n):
        a, b = sorted(rng.uniform(-1, HOURS + 1) for _ in range(2))
        found.append((START + timedelta(hours=a), START + timedelta(hours=b)))
    return found


SEGMENTS: tuple[tuple[tuple[tuple[str, str], ...], ...], ...] = (
    (),
    ((("model", "m1"),),),
    ((("model", "m2"), ("prompt_version", "p1")), (("prompt_version", "p2"),)),
)


def scopes() -> list[AffectedScope]:
    found = []
    for i, (start, end) in enumerate(windows()):
        use_case, segments = USE_CASES[i % 2], SEGMENTS[i % len(SEGMENTS)]
        found.append(AffectedScope(use_case, start, end, segments))
        if i % 4 == 0:
            found.append(AffectedScope(use_case, start, end, segments, "safety", ("safety",), 0.4))
        if i % 4 == 1:
            found.append(
                AffectedScope(use_case, start, end, segments, "low_score", ("groundedness",), 0.3)
            )
    return found


def test_reading_whole_hours_gives_the_users_of_the_portable_query(runtime: Runtime) -> None:
    store_traffic(runtime)
    every = scopes()
    assert sum(affected_sqlite.whole_hours(s) is not None for s in every) > 20  # the path runs
    with runtime.db.read() as session:
        for scope in every:
            expected = portable_totals(session, scope)
            assert affected_totals(session, scope) == expected, scope
            users = portable_users(session, scope, limit=10_000)
            assert affected_users(session, scope, limit=10_000) == users, scope
            assert affected_summary(session, scope, limit=5) == (expected, users[:5]), scope
            for cursor in ("=", "=x", "u-07", "zzz"):
                page = portable_users(session, scope, after=cursor, limit=4)
                assert affected_users(session, scope, after=cursor, limit=4) == page, scope
                both = affected_summary(session, scope, after=cursor, limit=4)
                assert both == (expected, page), scope
    with runtime.db.read() as session:  # the big window reaches every kind of user id
        whole = AffectedScope("chat", START, T0)
        assert {"=", "=x", "Ann"} <= {u.user_id for u in affected_users(session, whole)}
        assert affected_totals(session, whole).unattributed_outputs > 0


def test_the_summary_counts_when_no_output_has_a_user_id(runtime: Runtime) -> None:
    """The totals come back beside the page even when there is no user to list."""
    events = _events_without_users()
    assert store_events(runtime.db, parse_batch(events), runtime.clock).accepted == len(events)
    scope = AffectedScope("chat", START, T0)
    with runtime.db.read() as session:
        assert affected_sqlite.whole_hours(scope) is not None
        totals, first = affected_summary(session, scope, after="u", limit=3)
        assert totals == portable_totals(session, scope)
        assert (totals.users, totals.unattributed_outputs, first) == (0, totals.outputs, [])
        assert totals.outputs > 0
        empty = AffectedScope("nothing", START, T0)
        assert affected_summary(session, empty, limit=3) == (portable_totals(session, empty), [])


def _events_without_users() -> list[dict[str, Any]]:
    rng = random.Random(2)
    found = [_output(rng, n)[0] for n in range(200)]
    for event in found:
        event.pop("user_id", None)
    return found


def test_the_plan_reads_the_counts_for_whole_hours(runtime: Runtime) -> None:
    store_traffic(runtime, outputs=100)
    with runtime.db.read() as session:
        plan = " | ".join(affected_sqlite.query_plan(session, AffectedScope("chat", START, T0)))
    assert "SEARCH h USING PRIMARY KEY (use_case=? AND hour>? AND hour<?)" in plan
    assert "ix_events_affected_outputs (use_case=? AND ts>? AND ts<?)" in plan


def stored_counts(runtime: Runtime) -> list[tuple[Any, ...]]:
    with runtime.db.read() as session:
        rows = session.execute(
            text(f"SELECT * FROM {affected_hours.TABLE} ORDER BY 1, 2, 3, 4, 5, 6")  # noqa: S608
        )
        return [tuple(r) for r in rows]


def recount(runtime: Runtime) -> list[tuple[Any, ...]]:
    """The counts made afresh from the stored outputs, as the migration fills the table."""
    select = affected_hours.backfill_statement().split(") ", 1)[1]  # the INSERT's SELECT
    with runtime.db.read() as session:
        return sorted(tuple(r) for r in session.execute(text(select)))


def test_the_counts_follow_ingest_and_a_users_deletion(runtime: Runtime) -> None:
    store_traffic(runtime, outputs=600)
    counted = stored_counts(runtime)
    assert counted == recount(runtime)
    assert sum(r[-2] for r in counted) == 600
    assert any(r[-1] > 0 for r in counted)  # outputs with inline scores are counted apart
    assert any(r[2] == "==x" for r in counted)
    assert any(r[2] == "" for r in counted)  # outputs with no user id
    delete_user(runtime.db, runtime.clock, "=x", "test")
    after = stored_counts(runtime)
    assert after == recount(runtime)
    assert not any(r[2] == "==x" for r in after)  # the user's rows went with their outputs
    assert any(r[2] == "==" for r in after)  # and only theirs (user "=")


def test_retention_takes_the_counts_of_the_expired_outputs(
    runtime: Runtime, clock: ManualClock
) -> None:
    store_traffic(runtime, outputs=600)
    follower = Follower(runtime.db, [], runtime.config, runtime.settings, runtime.clock)
    while follower.step():
        pass
    follower.close()
    clock.set(START + timedelta(hours=4, minutes=30) + timedelta(days=runtime.retention().days))
    assert runtime.retention().run_once(leased=False) > 0
    after = stored_counts(runtime)
    assert after == recount(runtime)
    assert min(r[1] for r in after) == (START + timedelta(hours=4)).strftime("%Y-%m-%d %H")
    with runtime.db.read() as session:
        scope = AffectedScope("notes", START - timedelta(hours=1), T0)
        assert affected_totals(session, scope) == portable_totals(session, scope)


def test_the_migration_goes_down_and_up_with_the_counts(runtime: Runtime) -> None:
    store_traffic(runtime, outputs=600)
    counted = stored_counts(runtime)
    config = alembic_config()
    with runtime.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0123")
    with runtime.db.read() as session:
        names = session.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'affected%'"))
        assert not list(names)
    upgrade(runtime.db.engine)  # fills the table from the stored outputs
    assert stored_counts(runtime) == counted


def test_the_counts_follow_an_output_changed_in_place(runtime: Runtime) -> None:
    """Nothing in Tripwire rewrites an output today but a use case's partition; the counts
    follow any change all the same (old key out, new key in), and ignore the partition's."""
    store_traffic(runtime, outputs=300)
    before = stored_counts(runtime)
    with runtime.db.session() as session:
        session.execute(text("UPDATE events SET part = part + 1 WHERE type = 'output'"))
    assert stored_counts(runtime) == before
    moved = (
        "UPDATE events SET payload = json_set(payload, '$.user_id', 'moved'), "
        "ts = datetime(ts, '+3 hours') || substr(ts, 20) WHERE id IN ('o1', 'o2', 'o3')"
    )
    with runtime.db.session() as session:
        session.execute(text(moved))
    after = stored_counts(runtime)
    assert after != before
    assert after == recount(runtime)
    assert sum(r[-2] for r in after if r[2] == "=moved") == 3


def test_counts_grouped_before_the_insert_match_a_recount_of_the_stored_rows(
    runtime: Runtime,
) -> None:
    """The usual batch is counted from its own rows (`counts_of`); a batch that holds stored
    ids or a repeated id is counted from what was inserted. Either way a recount agrees."""
    rng = random.Random(11)
    events = [e for n in range(400) for e in _output(rng, n)]
    first, second = events[: len(events) // 2], events[len(events) // 2 :]
    assert store_events(runtime.db, parse_batch(first), runtime.clock).accepted == len(first)
    assert stored_counts(runtime) == recount(runtime)
    again = [*first[:50], *second, second[0]]  # stored ids, and one id twice in the batch
    report = store_events(runtime.db, parse_batch(again), runtime.clock)
    assert (report.accepted, report.duplicates) == (len(second), 51)
    counted = stored_counts(runtime)
    assert counted == recount(runtime)
    assert sum(r[-2] for r in counted) == 400


def test_a_field_only_sqlite_can_read_is_counted_by_sqlite(runtime: Runtime) -> None:
    """Validated outputs hold text or nothing in the counted fields; a bulk-loaded payload may
    hold a number there, which SQLite's CAST reads its own way: such a batch is recounted."""
    ts = START + timedelta(minutes=5)
    payloads = [
        {"id": "n1", "type": "output", "use_case": "chat", "model": "m1", "user_id": 42},
        {"id": "n2", "type": "output", "use_case": "chat", "model": "m1", "user_id": "Ann"},
        {"id": "n3", "type": "output", "use_case": "chat", "model": True, "user_id": 1e20},
    ]
    rows = [
        (p["id"], "output", ts, "chat", None, orjson.dumps({**p, "ts": isoformat_z(ts)}).decode())
        for p in payloads
    ]
    fields = [affected_hours.output_fields(r[5]) for r in rows]
    assert affected_hours.counts_of([("chat", "2026", f) for f in fields]) is None
    with runtime.db.session() as session:
        assert len(load_rows(session, rows)) == 3
    counted = stored_counts(runtime)
    assert counted == recount(runtime)
    # Python's text of these would be '=1e+20' and '=True': the recount would not agree.
    assert {r[2:4] for r in counted} == {("=42", "=m1"), ("=Ann", "=m1"), ("=1.0e+20", "=1")}


def test_counts_of_groups_outputs_by_use_case_hour_user_and_segment() -> None:
    def output(user: str | None, scores: object = None) -> tuple[str, str, Any]:
        payload = {"model": "m", "user_id": user, "scores": scores, "prompt_version": "p"}
        fields = affected_hours.output_fields(orjson.dumps(payload).decode())
        return "chat", "2026-12-06 10:59:59.000001", fields

    outputs = [output("a"), output("a", {"x": 0.5}), output(None)]
    assert affected_hours.counts_of(outputs) == [
        ("chat", "2026-12-06 10", "", "=m", "", "=p", 1, 0),
        ("chat", "2026-12-06 10", "=a", "=m", "", "=p", 2, 1),
    ]
    numbered = ("chat", "2026", (7, "m", None, None, False))  # a user id SQLite's CAST reads
    assert affected_hours.counts_of([*outputs, numbered]) is None


def test_the_fields_counted_from_a_model_are_those_read_from_its_json() -> None:
    rng = random.Random(3)
    events = parse_batch([e for n in range(200) for e in _output(rng, n)])
    outputs = [e for e in events if e.type == "output"]
    assert len(outputs) == 200
    for event in outputs:
        text = load_row(event)[5]
        assert counted_fields(event) == affected_hours.output_fields(text)


def test_a_nul_in_a_counted_field_is_counted_as_sqlite_reads_it(runtime: Runtime) -> None:
    """SQLite's json_extract ends a string at its first NUL ('a\\x00b' reads as 'a'), and the
    triggers take a deleted output away by that reading: counted any other way, the row would
    never go. Validation refuses a NUL now (PostgreSQL stores none), but rows stored before
    that, or bulk-loaded, may hold one: such a batch is recounted by SQLite."""
    ts = START + timedelta(minutes=5)
    payloads = [
        {"id": "z1", "type": "output", "use_case": "chat", "model": "m\x00x", "user_id": "a\x00b"},
        {"id": "z2", "type": "output", "use_case": "chat", "model": "m1"},
    ]
    rows = [
        (p["id"], "output", ts, "chat", None, orjson.dumps({**p, "ts": isoformat_z(ts)}).decode())
        for p in payloads
    ]
    with runtime.db.session() as session:
        assert len(load_rows(session, rows)) == 2
    assert stored_counts(runtime) == recount(runtime)
    with runtime.db.session() as session:
        session.execute(text("DELETE FROM events WHERE id = 'z1'"))
    assert stored_counts(runtime) == recount(runtime)

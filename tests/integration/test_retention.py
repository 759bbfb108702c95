"""Retention and per-user deletion on a real database (SQLite here, PostgreSQL in tests/pg)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.conftest import Cast
from tests.events_data import valid
from tests.serve_proc import SRC, tripwire
from tripwire.domain.clock import ManualClock
from tripwire.ingest.retention import delete_user
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.pipeline.follower import Follower
from tripwire.runtime.wiring import Runtime
from tripwire.store.genai import add_parts, hold
from tripwire.store.retention import UserDeletion, deletions
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.genai import ContentPartRow, HeldOutputRow


def store(runtime: Runtime, raws: list[dict[str, Any]]) -> None:
    store_events(runtime.db, parse_batch(raws), runtime.clock)


def stored_ids(runtime: Runtime) -> set[str]:
    with runtime.db.session() as session:
        return set(session.scalars(select(EventRow.id)))


def user_events(user: str, n: int, day: int = 20) -> list[dict[str, Any]]:
    ts = f"2026-11-{day:02d}T09:00:00Z"
    events: list[dict[str, Any]] = []
    for i in range(n):
        out = f"{user}-out-{day}-{i}"
        events.append(valid("output", id=out, user_id=user, ts=ts))
        events.append(valid("feedback", id=f"{out}-fb", output_id=out, user_id=user, ts=ts))
        events.append(valid("safety", id=f"{out}-sf", output_id=out, ts=ts))
    return events


def drain(runtime: Runtime) -> None:
    follower = Follower(runtime.db, [], runtime.config, runtime.settings, runtime.clock)
    while follower.step():
        pass
    follower.close()


def test_retention_drops_old_processed_events_only(runtime: Runtime, clock: ManualClock) -> None:
    store(runtime, user_events("u-old", 3, day=1) + user_events("u-new", 2, day=20))
    clock.advance(timedelta(days=15))  # cutoff: November 5
    retention = runtime.retention()
    assert retention.run_once() == 0  # nothing processed yet: nothing may go
    drain(runtime)
    assert retention.run_once(leased=False) == 9
    assert stored_ids(runtime) == {e["id"] for e in user_events("u-new", 2, day=20)}
    assert retention.run_once(leased=False) == 0
    with runtime.db.session() as session:
        audit = deletions(session)
    assert [(a.kind, a.events_deleted) for a in audit] == [("retention", 9)]
    # The deleted ids were forgotten with their events (on PostgreSQL: their `event_ids` rows).
    again = store_events(runtime.db, parse_batch(user_events("u-old", 3, day=1)), runtime.clock)
    assert (again.accepted, again.duplicates) == (9, 0)


def test_deleting_a_user_takes_their_outputs_feedback_and_checks(runtime: Runtime) -> None:
    store(runtime, user_events("u-1", 2) + user_events("u-2", 2))
    assert delete_user(runtime.db, runtime.clock, "u-1", "token 'privacy'").events == 6
    assert stored_ids(runtime) == {e["id"] for e in user_events("u-2", 2)}
    with runtime.db.session() as session:
        audit = deletions(session)[0]
    assert (audit.kind, audit.subject, audit.requested_by) == ("user", "u-1", "token 'privacy'")
    assert audit.events_deleted == 6
    assert delete_user(runtime.db, runtime.clock, "u-1", "again") == UserDeletion(0, 0, 0)
    again = store_events(runtime.db, parse_batch(user_events("u-1", 2)), runtime.clock)
    assert (again.accepted, again.duplicates) == (6, 0)  # the ids went with the events


def test_the_api_deletes_a_users_data_for_admins_only(
    runtime: Runtime, client: Any, cast: Cast
) -> None:
    store(runtime, user_events("u-9", 1))
    assert client.delete("/v1/users/u-9/data", headers=cast.auth("read")).status_code == 403
    assert stored_ids(runtime)
    response = client.delete("/v1/users/u-9/data", headers=cast.auth("admin"))
    assert response.status_code == 200, response.text
    assert response.json() == {"user_id": "u-9", "events_deleted": 3, "content_parts_deleted": 0}
    assert stored_ids(runtime) == set()
    assert timedelta(days=runtime.settings.retention_days) == timedelta(days=30)


def part(span: str, n: int, now: Any) -> dict[str, Any]:
    return {
        "id": f"{span}-part-{n}",
        "span": span,
        "kind": "message",
        "position": n,
        "ordinal": n,
        "data": {"content": "my address is ..."},
        "received_at": now,
        "joined": False,
    }


def test_deleting_a_user_takes_their_held_outputs_and_genai_content(runtime: Runtime) -> None:
    store(runtime, user_events("u-1", 1) + user_events("u-2", 1))
    now = runtime.clock.now()
    held = valid("output", id="u-1-held", user_id="u-1")
    other = valid("output", id="u-2-held", user_id="u-2")
    with runtime.db.session() as session:
        hold(
            session,
            [
                {
                    "id": p["id"],
                    "use_case": p["use_case"],
                    "payload": p,
                    "received_at": now,
                    "release_at": now + timedelta(minutes=5),
                }
                for p in (held, other)
            ],
        )
        spans = ["u-1-held", "u-1-out-20-0", "u-2-held", "u-2-out-20-0"]
        add_parts(session, [part(span, n, now) for span in spans for n in range(2)])
    gone = delete_user(runtime.db, runtime.clock, "u-1", "privacy")
    assert gone == UserDeletion(events=3, held_outputs=1, content_parts=4)
    with runtime.db.session() as session:
        assert set(session.scalars(select(HeldOutputRow.id))) == {"u-2-held"}
        left = set(session.scalars(select(ContentPartRow.span)))
        assert deletions(session)[0].events_deleted == 4
    assert left == {"u-2-held", "u-2-out-20-0"}


def test_the_cli_deletes_a_users_data_and_audits_who_asked(
    runtime: Runtime, db_url: str, tmp_path: Path
) -> None:
    store(runtime, user_events("u-7", 2) + user_events("u-8", 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPWIRE_")}
    env.update(PYTHONPATH=str(SRC), TRIPWIRE_DATABASE_URL=db_url)
    done = tripwire("data", "delete-user", "u-7", "--requested-by", "ticket 42", env=env)
    assert done.returncode == 0, done.stderr
    assert "deleted 6 event(s) and 0 content part(s) of user 'u-7'" in done.stdout
    assert stored_ids(runtime) == {e["id"] for e in user_events("u-8", 1)}
    with runtime.db.session() as session:
        audit = deletions(session)[0]
    assert (audit.kind, audit.subject, audit.requested_by) == ("user", "u-7", "ticket 42")

"""Quarantine: a stage that fails on some events bisects them out, stores them in the
dead-letter table and lets the rest through with their effects committed exactly once; the
cursor always moves; operators can send events back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import T0
from tests.events_data import valid
from tripwire.cli.main import app
from tripwire.domain.clock import ManualClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.pipeline.follower import Follower, pending_events
from tripwire.pipeline.replay import replay
from tripwire.pipeline.stage import StageContext
from tripwire.runtime.wiring import Runtime
from tripwire.store import deadletter
from tripwire.store.events import StoredEvent, insert_derived
from tripwire.store.runtime import get_cursor
from tripwire.store.tables.events import EventRow


class Picky:
    """Derives one score per metric, and raises on metrics whose value is negative."""

    name = "picky"

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        # Idle partitions get an empty batch each minute (to close it): only real work counts.
        self.calls += bool(events)
        payloads = []
        for event in events:
            if event.type != "metric":
                continue
            if self.broken and event.payload["value"] < 0:
                raise ValueError(f"cannot handle {event.payload['value']}")
            payloads.append(
                valid("score", id=f"s-{event.id}", output_id=event.id, ts=event.payload["ts"])
            )
        if payloads:
            ctx.derived.extend(insert_derived(ctx.session, payloads, ctx.clock.now()))

    def tick(self, ctx: StageContext) -> None:
        return None


class Counter:
    """A later stage: counts what reaches it."""

    name = "counter"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        self.seen.extend(e.id for e in events)

    def tick(self, ctx: StageContext) -> None:
        return None


def metric(i: int, value: float) -> dict[str, Any]:
    return valid("metric", id=f"m{i}", ts=f"2026-11-20T08:{i % 60:02d}:00Z", value=value)


def scores(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        query = select(func.count()).select_from(EventRow).where(EventRow.type == "score")
        return int(session.scalar(query) or 0)


POISON = {7, 19, 33}


@pytest.fixture
def stored(runtime: Runtime) -> list[dict[str, Any]]:
    raws = [metric(i, -1.0 if i in POISON else float(i)) for i in range(50)]
    store_events(runtime.db, parse_batch(raws), runtime.clock)
    return raws


def test_poison_events_are_bisected_out_and_the_rest_commit_once(
    runtime: Runtime, stored: list[dict[str, Any]]
) -> None:
    picky, counter = Picky(), Counter()
    follower = Follower(
        runtime.db, [picky, counter], runtime.config, runtime.settings, runtime.clock
    )
    assert follower.step() > 0
    while follower.step():  # derived events move the cursor too
        pass
    with runtime.db.read() as session:
        letters = deadletter.list_letters(session)
        assert pending_events(session) == 0
    assert sorted(letter.event_id for letter in letters) == sorted(f"m{i}" for i in POISON)
    assert {letter.stage for letter in letters} == {"picky"}
    assert all("cannot handle -1.0" in letter.error for letter in letters)
    assert scores(runtime) == 47, "each good event's effect is committed exactly once"
    assert sorted(set(counter.seen)) == sorted(
        [f"m{i}" for i in range(50) if i not in POISON]
        + [f"s-m{i}" for i in range(50) if i not in POISON]
    ), "later stages get the good events and what was derived from them, never the poison"
    assert picky.calls <= 2 + 2 * len(POISON) * 6, "bisection costs O(k log n) runs"


def test_an_operator_sends_them_back_once_the_bug_is_fixed(
    runtime: Runtime, stored: list[dict[str, Any]], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    picky, counter = Picky(), Counter()
    follower = Follower(
        runtime.db, [picky, counter], runtime.config, runtime.settings, runtime.clock
    )
    follower.step()
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    listed = CliRunner().invoke(app, ["deadletter", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    ids = [row["id"] for row in __import__("json").loads(listed.stdout)]
    assert len(ids) == 3
    # Still broken: a retry comes back with attempts counted.
    assert CliRunner().invoke(app, ["deadletter", "retry", str(ids[0])]).exit_code == 0
    assert follower.step() > 0
    with runtime.db.read() as session:
        again = next(d for d in deadletter.list_letters(session) if d.id == ids[0])
    assert (again.status, again.attempts) == ("dead", 2)
    # Fixed: every one goes through and leaves quarantine.
    picky.broken = False
    counter.seen.clear()
    assert CliRunner().invoke(app, ["deadletter", "retry", "--all"]).exit_code == 0
    assert follower.step() > 0
    with runtime.db.read() as session:
        assert deadletter.count_quarantined(session) == 0
        assert {d.status for d in deadletter.list_letters(session)} == {"done"}
    assert scores(runtime) == 50
    assert sorted(counter.seen) == sorted([f"m{i}" for i in POISON] + [f"s-m{i}" for i in POISON])
    assert CliRunner().invoke(app, ["deadletter", "retry", "--all"]).exit_code == 1


def test_a_stage_that_fails_without_any_event_is_not_blamed_on_events(runtime: Runtime) -> None:
    class Down:
        name = "down"

        def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
            raise RuntimeError("the model server is down")

        def tick(self, ctx: StageContext) -> None:
            return None

    store_events(runtime.db, parse_batch([metric(1, 1.0)]), runtime.clock)
    follower = Follower(runtime.db, [Down()], runtime.config, runtime.settings, runtime.clock)
    with pytest.raises(RuntimeError, match="down"):
        follower.step()
    with runtime.db.read() as session:
        assert deadletter.count_quarantined(session) == 0
        assert get_cursor(session, "pipeline") == 0, "the batch is retried later, not skipped"


def test_replay_quarantines_and_goes_on(runtime: Runtime) -> None:
    picky, counter = Picky(), Counter()
    raws = [metric(i, -1.0 if i in POISON else float(i)) for i in range(50)]
    result = replay(
        runtime.db, parse_batch(raws), [picky, counter], runtime.config, runtime.settings
    )
    assert (result.accepted, result.quarantined) == (50, 3)
    assert scores(runtime) == 47
    with runtime.db.read() as session:
        assert deadletter.count_quarantined(session) == 3


def test_stats_and_metrics_count_the_quarantine(
    runtime: Runtime, stored: list[dict[str, Any]], client: Any, cast: Any
) -> None:
    Follower(runtime.db, [Picky()], runtime.config, runtime.settings, ManualClock(T0)).step()
    stats = client.get("/v1/stats", headers=cast.auth("read")).json()
    assert stats["pipeline"]["dead_letter"] == 3
    metrics = client.get("/metrics", headers=cast.auth("read")).text
    assert "tripwire_pipeline_dead_letter 3.0" in metrics


def test_stats_carry_the_three_pipeline_counts(client: Any, cast: Any) -> None:
    """docs/api.md `GET /v1/stats`: pending, late and dead_letter, each a count."""
    pipeline = client.get("/v1/stats", headers=cast.auth("read")).json()["pipeline"]
    assert set(pipeline) >= {"pending", "late", "dead_letter"}
    assert all(type(pipeline[k]) is int for k in ("pending", "late", "dead_letter"))


def test_the_ui_shows_the_quarantine_and_an_admin_sends_one_back(
    runtime: Runtime, stored: list[dict[str, Any]], client: Any, cast: Any
) -> None:
    picky = Picky()
    follower = Follower(runtime.db, [picky], runtime.config, runtime.settings, runtime.clock)
    follower.step()
    assert client.post("/ui/login", data={"token": cast.read}).status_code == 200
    page = client.get("/ui/deadletter").text
    assert "3 event(s) in quarantine" in page
    for i in POISON:
        assert f"<code>m{i}</code>" in page
    assert "cannot handle -1.0" in page
    assert "picky" in page
    assert "/ui/deadletter/retry" not in page, "only an admin may send events back"
    assert client.post("/ui/login", data={"token": cast.admin}).status_code == 200
    page = client.get("/ui/deadletter").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    with runtime.db.read() as session:
        letter = deadletter.list_letters(session)[0].id
    r = client.post(
        "/ui/deadletter/retry", data={"csrf": csrf, "letter": letter}, follow_redirects=False
    )
    assert r.status_code == 303
    picky.broken = False
    follower.step()
    with runtime.db.read() as session:
        assert deadletter.count_quarantined(session) == 2
    assert "2 event(s) in quarantine" in client.get("/ui/deadletter").text

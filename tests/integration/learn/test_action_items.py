"""Action items: owners, due dates, states through the API and the CLI, and reminders on the
timer to the owner's own channel while an item stays unfinished past its due date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config, tick
from tripwire.api.app import create_app
from tripwire.cli.main import app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.learn.action_items import HOOK as ACTION_ITEM_REMINDERS
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token


@pytest.fixture
def rt(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    config = respond_config()
    config["learn"] = {"action_items": {"remind_every": "12h"}}
    runtime = make_runtime(db_url, clock, parse_config(config))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


@pytest.fixture
def crew(rt: Runtime) -> Cast:
    with rt.db.session() as session:
        tokens = {
            s: create_token(session, s, [s], rt.clock.now())[1]  # type: ignore[list-item]
            for s in ("ingest", "read", "respond", "admin")
        }
    return Cast(revoked="tw_revoked", **tokens)


def reminders(rt: Runtime) -> list[OutboxRow]:
    with rt.db.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == "action_item.due")
        return list(session.scalars(query.order_by(OutboxRow.created_at)))


def test_an_overdue_item_reminds_its_owner_until_done(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    feed(rt, alert())  # detect -> incident
    h = crew.auth("respond")
    r = api.post(
        "/v1/incidents/INC-1/action-items",
        json={"title": "Pin the refund policy in the prompt", "owner": "alice", "due_days": 1},
        headers=h,
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["status"], item["owner"], item["overdue"]) == ("open", "alice", False)
    r = api.patch(f"/v1/incidents/INC-1/action-items/{item['id']}", json={"status": "in_progress"},
                  headers=h)  # fmt: skip
    assert r.json()["status"] == "in_progress"

    tick(rt)
    assert reminders(rt) == []  # not due yet
    clock.advance(timedelta(days=1, minutes=1))
    with rt.db.session() as session:
        service = rt.incidents(session)
        assert ACTION_ITEM_REMINDERS.next_due(service) is not None
    tick(rt)
    [first] = reminders(rt)
    assert first.channel == "hook"
    assert first.payload["recipient"]["person"] == "alice"
    assert "Pin the refund policy" in first.payload["text"]
    tick(rt)
    assert len(reminders(rt)) == 1  # not again before remind_every
    clock.advance(timedelta(hours=12))
    tick(rt)
    assert len(reminders(rt)) == 2

    listed = api.get("/v1/action-items?overdue=true", headers=crew.auth("read")).json()
    assert [i["id"] for i in listed["action_items"]] == [item["id"]]
    api.patch(f"/v1/incidents/INC-1/action-items/{item['id']}", json={"status": "done"},
              headers=h)  # fmt: skip
    clock.advance(timedelta(days=2))
    tick(rt)
    assert len(reminders(rt)) == 2
    [done] = api.get("/v1/incidents/INC-1/action-items", headers=crew.auth("read")).json()[
        "action_items"
    ]
    assert done["status"] == "done"
    assert done["done_at"] is not None
    assert done["overdue"] is False
    timeline = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()["timeline"]
    assert any(e["kind"] == "action_item_due" for e in timeline)
    assert any("in_progress -> done" in e["text"] for e in timeline)


def test_the_api_refuses_bad_changes(rt: Runtime, api: TestClient, crew: Cast) -> None:
    feed(rt, alert())
    h = crew.auth("respond")
    item = api.post("/v1/incidents/INC-1/action-items", json={"title": "x"}, headers=h).json()
    assert item["due_at"] == "2026-12-04T09:00:00Z"  # the default: due in 14 days
    bad = api.patch(f"/v1/incidents/INC-1/action-items/{item['id']}", json={"status": "later"},
                    headers=h)  # fmt: skip
    assert bad.status_code == 422
    missing = api.patch("/v1/incidents/INC-1/action-items/999", json={}, headers=h)
    assert missing.status_code == 404
    cleared = api.patch(f"/v1/incidents/INC-1/action-items/{item['id']}", json={"due_at": None},
                        headers=h)  # fmt: skip
    assert cleared.json()["due_at"] is None


def test_the_cli_adds_lists_and_sets(
    rt: Runtime, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed(rt, alert())
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    cli = CliRunner()
    added = cli.invoke(app, ["action-items", "add", "INC-1", "Add a groundedness monitor",
                             "--owner", "bob", "--due-days", "3"])  # fmt: skip
    assert added.exit_code == 0, added.output
    ident = json.loads(added.stdout)["id"]
    changed = cli.invoke(app, ["action-items", "set", "INC-1", str(ident), "--status", "wont_do"])
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["status"] == "wont_do"
    listed = cli.invoke(app, ["action-items", "list", "--json", "--owner", "bob"])
    assert [i["status"] for i in json.loads(listed.stdout)] == ["wont_do"]
    table = cli.invoke(app, ["action-items", "list"])
    assert "Add a groundedness" in table.stdout
    bad = cli.invoke(app, ["action-items", "set", "INC-1", str(ident), "--status", "nah"])
    assert bad.exit_code == 2
    assert "open, in_progress, done, wont_do" in bad.stderr

"""Telling stakeholder groups by hand (`POST /v1/incidents/{id}/stakeholders`): each member
gets their own link, the deadline is met only by a delivered and acknowledged message, and the
action is the caller's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config, tick
from tests.integration.respond.receivers import Receiver, http_receiver
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as found:
        yield found


@pytest.fixture
def world(
    db_url: str, clock: ManualClock, receiver: Receiver
) -> Iterator[tuple[Runtime, TestClient, dict[str, str]]]:
    data = respond_config(receiver.url)
    data["respond"]["people"]["lena"] = {"email": "lena@example.org", "notify": ["hook"]}
    data["respond"]["stakeholders"] = {
        "legal": {"members": ["lena"], "escalation_contact": "bob"},
        "support": {},
    }
    rt = make_runtime(db_url, clock, parse_config(data))
    with rt.db.session() as session:
        secret = create_token(session, "carol", ["respond"], clock.now())[1]
    with TestClient(create_app(rt, background=False)) as api:
        yield rt, api, {"Authorization": f"Bearer {secret}"}
    rt.close()


def deliver(rt: Runtime) -> None:
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, rt.clock)
    while worker.run_once():
        pass
    worker.close()


def stakeholder_messages(rt: Runtime) -> list[dict[str, Any]]:
    with rt.db.session() as session:
        rows = session.scalars(select(OutboxRow).where(OutboxRow.kind == "incident.stakeholder"))
        return [dict(r.payload) for r in rows]


def test_a_group_is_told_and_its_acknowledgement_meets_the_deadline(
    world: tuple[Runtime, TestClient, dict[str, str]], clock: ManualClock
) -> None:
    rt, api, auth = world
    feed(rt, alert(magnitude=1.5))
    body = {"groups": ["legal"], "reason": "Tell <legal> now", "within_minutes": 30}
    r = api.post("/v1/incidents/INC-1/stakeholders", json=body, headers=auth)
    assert r.status_code == 200, r.text
    told = next(e for e in r.json()["timeline"] if e["kind"] == "stakeholders_notified")
    assert told["actor"] == "carol"
    [message] = stakeholder_messages(rt)
    assert message["recipient"]["person"] == "lena"
    assert "Tell <legal> now" in message["text"]
    link = message["ack_url"].removeprefix("http://tripwire.test")
    clock.advance(timedelta(minutes=5))
    assert api.post(link).status_code == 200
    deadline = api.get("/v1/incidents/INC-1", headers=auth).json()["deadlines"][0]
    assert deadline["met_at"] is None, "acknowledged, but not yet known to be delivered"
    deliver(rt)
    clock.advance(timedelta(minutes=26))
    tick(rt)
    detail = api.get("/v1/incidents/INC-1", headers=auth).json()
    assert detail["deadlines"][0]["met_at"] == "2026-11-20T09:31:00Z"
    assert not [e for e in detail["timeline"] if e["kind"] == "deadline_missed"]
    [notice] = [n for n in detail["notices"] if n["kind"] == "stakeholder"]
    assert (notice["delivery"], notice["acked_via"]) == ("delivered", "link")


def test_unknown_or_empty_groups_are_refused(
    world: tuple[Runtime, TestClient, dict[str, str]],
) -> None:
    rt, api, auth = world
    feed(rt, alert(magnitude=1.5))
    for groups, problem in ((["press"], "no stakeholder group"), (["support"], "no members")):
        body = {"groups": groups, "reason": "x"}
        r = api.post("/v1/incidents/INC-1/stakeholders", json=body, headers=auth)
        assert r.status_code == 409
        assert problem in r.json()["error"]
    assert stakeholder_messages(rt) == []

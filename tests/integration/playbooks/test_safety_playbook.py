"""The safety playbook end to end on an injected clock: pages, the kill switch, evidence, and
the one-hour legal deadline that escalates when missed and not when met."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import T0
from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config, tick
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token

KILL = {"key": "support-chat.enabled", "value": True, "kill_value": False}
KILL["use_case"] = "support-chat"


def build(db_url: str, clock: ManualClock, auto_kill: bool) -> Runtime:
    config = respond_config()
    config["playbooks"] = {"auto_kill_switch": auto_kill}
    config["flags"] = {"declare": [KILL]}
    return make_runtime(db_url, clock, parse_config(config))


@pytest.fixture(params=[True], ids=["auto-kill"])
def rt(request: pytest.FixtureRequest, db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    runtime = build(db_url, clock, bool(request.param))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


@pytest.fixture
def token(rt: Runtime) -> dict[str, str]:
    with rt.db.session() as session:
        secret = create_token(session, "ops", ["read", "respond"], rt.clock.now())[1]
    return {"Authorization": f"Bearer {secret}"}


def harmful_traffic(rt: Runtime) -> None:
    """Outputs in the 20 minutes before detection; every third one trips the safety filter."""
    events: list[dict[str, Any]] = []
    for i in range(30):
        ts = isoformat_z(T0 - timedelta(minutes=20) + timedelta(seconds=40 * i))
        events.append({"id": f"o{i}", "type": "output", "ts": ts, "use_case": "support-chat",
                       "model": "m", "user_id": f"u{i % 7}", "input": f"jailbreak {i}",
                       "output": f"<b>harmful</b> {i}", "prompt_version": "v14"})  # fmt: skip
        hit = i % 3 == 0
        events.append({"id": f"s{i}", "type": "safety", "ts": ts, "use_case": "support-chat",
                       "filter": "moderation", "output_id": f"o{i}", "triggered": hit})  # fmt: skip
    store_events(rt.db, parse_batch(events), rt.clock)


def open_safety_incident(rt: Runtime, api: TestClient, token: dict[str, str]) -> dict[str, Any]:
    assert api.get("/v1/flags", headers=token).json()["flags"][0]["value"] is True  # seeded
    harmful_traffic(rt)
    feed(rt, alert("safety:support-chat", type_="safety", magnitude=2.5))
    return incident(api, token)


def incident(api: TestClient, token: dict[str, str]) -> dict[str, Any]:
    r = api.get("/v1/incidents/INC-1", headers=token)
    assert r.status_code == 200, r.text
    return r.json()


def pages(rt: Runtime) -> list[tuple[str, str]]:
    with rt.db.session() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "incident.page").order_by(OutboxRow.seq)
        )
        return [(r.payload["recipient"]["person"], r.payload.get("reason", "")) for r in rows]


def kinds(detail: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in detail["timeline"]]


def legal_task(detail: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in detail["tasks"] if t["title"] == "Notify legal and leadership")


def test_pages_go_out_and_the_kill_switch_flips_at_once(
    rt: Runtime, api: TestClient, token: dict[str, str]
) -> None:
    detail = open_safety_incident(rt, api, token)
    assert (detail["type"], detail["severity"]) == ("safety", "P0")
    paged = {person for person, _ in pages(rt)}
    assert {"alice", "sam"} <= paged  # incident commander and safety lead
    flag = api.get("/v1/flags/support-chat.enabled", headers=token).json()
    assert (flag["value"], flag["killed"]) == (False, True)
    audit = api.get("/v1/flags/support-chat.enabled/history", headers=token).json()["changes"][0]
    assert (audit["actor"], audit["incident_id"], audit["source"]) == (
        "playbook:safety",
        "INC-1",
        "playbook",
    )
    assert "kill_switch" in kinds(detail)
    evidence = [e for e in detail["evidence"] if "input/output" in e["text"]]
    assert evidence[0]["data"]["chain"][0]["input"].startswith("jailbreak")
    exposure = next(e for e in detail["timeline"] if "safety checks triggered" in e["text"])
    assert exposure["data"]["triggered"] == 10
    assert exposure["data"]["users"] == 7
    task = legal_task(detail)
    assert task["due_at"] == isoformat_z(T0 + timedelta(hours=1))
    assert task["role"] == "incident_commander"


def test_the_legal_deadline_escalates_when_missed(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    open_safety_incident(rt, api, token)
    clock.advance(timedelta(minutes=59))
    tick(rt)
    assert "deadline_missed" not in kinds(incident(api, token))
    before = len(pages(rt))
    clock.advance(timedelta(minutes=2))
    tick(rt)
    detail = incident(api, token)
    missed = [e for e in detail["timeline"] if e["kind"] == "deadline_missed"]
    assert len(missed) == 1
    assert "Notify legal and leadership" in missed[0]["text"]
    assert [p for p, _ in pages(rt)[before:]] == ["alice"]


def test_the_legal_deadline_does_not_escalate_when_met(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    detail = open_safety_incident(rt, api, token)
    clock.advance(timedelta(minutes=40))
    r = api.post(
        f"/v1/incidents/INC-1/tasks/{legal_task(detail)['id']}",
        json={"status": "done", "by": "alice"},
        headers=token,
    )
    assert r.status_code == 200, r.text
    before = len(pages(rt))
    clock.advance(timedelta(minutes=25))
    tick(rt)
    detail = incident(api, token)
    assert "deadline_missed" not in kinds(detail)
    met = [e for e in detail["timeline"] if e["kind"] == "deadline_met"]
    assert "Notify legal and leadership" in met[0]["text"]
    assert not [p for p, reason in pages(rt)[before:] if "legal" in reason]


@pytest.mark.parametrize("rt", [False], ids=["manual-kill"], indirect=True)
def test_without_auto_kill_the_safety_lead_gets_a_kill_switch_task(
    rt: Runtime, api: TestClient, token: dict[str, str], clock: ManualClock
) -> None:
    detail = open_safety_incident(rt, api, token)
    assert api.get("/v1/flags/support-chat.enabled", headers=token).json()["value"] is True
    task = next(t for t in detail["tasks"] if "kill switch" in t["title"])
    assert task["role"] == "safety_lead"
    assert "tripwire flags kill support-chat.enabled --incident INC-1" in task["data"]["why"]
    clock.advance(timedelta(minutes=16))
    tick(rt)
    missed = [e for e in incident(api, token)["timeline"] if e["kind"] == "deadline_missed"]
    assert "kill switch" in missed[0]["text"]


def test_a_person_flipping_the_kill_switch_lands_on_the_timeline(
    rt: Runtime, api: TestClient, token: dict[str, str]
) -> None:
    open_safety_incident(rt, api, token)
    r = api.put(
        "/v1/flags/support-chat.enabled",
        json={"value": True, "reason": "filter fixed", "incident_id": "INC-1"},
        headers=token,
    )
    assert r.status_code == 200, r.text
    entry = incident(api, token)["timeline"][-1]
    assert entry["kind"] == "flag_change"
    assert "false -> true (filter fixed)" in entry["text"]
    r = api.put(
        "/v1/flags/support-chat.enabled",
        json={"value": False, "incident_id": "INC-99"},
        headers=token,
    )
    assert r.status_code == 404

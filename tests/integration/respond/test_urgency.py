"""Urgency per severity through the respond stage and the API: a P3 at night pages nobody and
waits for the digest, a raised severity pages at once, a P2 at night waits for working hours,
task holders are told, each person's acknowledgement is kept, and actions carry the caller's
token name whatever the body claims."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import T0, Cast
from tests.integration.respond.conftest import alert, feed, tick
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.runtime import OutboxRow

NIGHT = T0 - timedelta(hours=7)  # Friday 02:00 UTC; working hours and the digest start at 09:00


def sent(rt: Runtime, kind: str) -> list[dict[str, Any]]:
    with rt.db.session() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == kind).order_by(OutboxRow.seq)
        )
        return [dict(r.payload) for r in rows]


def paged(rt: Runtime) -> list[str]:
    return [p["recipient"]["person"] for p in sent(rt, "incident.page")]


def detail(api: TestClient, crew: Cast, ident: str = "INC-1") -> dict[str, Any]:
    r = api.get(f"/v1/incidents/{ident}", headers=crew.auth("read"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def open_at(rt: Runtime, clock: ManualClock, when: Any, magnitude: float) -> None:
    clock.advance(when - clock.now())  # `set` never moves back; a test may start at night
    minutes = (when - T0).total_seconds() / 60
    feed(rt, alert(at_minutes=minutes, magnitude=magnitude))


def test_a_p3_at_night_pages_nobody_and_is_in_the_morning_digest(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    open_at(rt, clock, NIGHT, magnitude=0.1)  # a small change: P3 by the default rules
    body = detail(api, crew)
    assert body["severity"] == "P3"
    assert paged(rt) == []
    kinds = [e["kind"] for e in body["timeline"]]
    assert "digest_queued" in kinds
    assert "page" not in kinds
    clock.set(T0 - timedelta(minutes=1))
    tick(rt)
    assert sent(rt, "incident.digest") == [], "not before the digest hour"
    clock.set(T0 + timedelta(minutes=1))
    tick(rt)
    [digest] = sent(rt, "incident.digest")
    assert digest["recipient"]["person"] == "alice"  # level 1 of the default policy: on call
    assert "INC-1" in digest["text"]
    assert "[P3]" in digest["text"]
    assert digest["incidents"][0]["url"] == "http://tripwire.test/incidents/INC-1"
    assert paged(rt) == [], "a P3 never pages, even in working hours"
    clock.advance(timedelta(days=1))
    tick(rt)
    assert len(sent(rt, "incident.digest")) == 1, "each P3 is listed once"


def test_raising_a_p3_to_p1_at_night_pages_at_once(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    open_at(rt, clock, NIGHT, magnitude=0.1)
    clock.advance(timedelta(minutes=3))
    r = api.post(
        "/v1/incidents/INC-1/severity",
        json={"severity": "P1", "reason": "customers report it"},
        headers=crew.auth("respond"),
    )
    assert r.status_code == 200, r.text
    assert paged(rt) == ["alice"]
    body = r.json()
    assert body["escalation"]["policy"] == "default"
    raised = next(e for e in body["timeline"] if e["kind"] == "severity_paging")
    assert "P3 -> P1" in raised["text"]
    assert any(n["kind"] == "digest" and n["state"] == "cancelled" for n in body["notices"])
    clock.advance(timedelta(minutes=6))
    tick(rt)
    assert paged(rt) == ["alice", "bob"], "unacknowledged, it escalates like any P1"
    clock.set(T0 + timedelta(minutes=1))
    tick(rt)
    assert sent(rt, "incident.digest") == [], "paged already: not in the digest"


def test_a_p2_at_night_waits_for_working_hours(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    open_at(rt, clock, NIGHT, magnitude=0.6)  # +60 %: P2
    assert detail(api, crew)["severity"] == "P2"
    assert paged(rt) == []
    held = next(e for e in detail(api, crew)["timeline"] if e["kind"] == "page_held")
    assert "2026-11-20T09:00:00Z" in held["text"]
    clock.set(T0 - timedelta(seconds=1))
    tick(rt)
    assert paged(rt) == []
    clock.set(T0)
    tick(rt)
    assert paged(rt) == ["alice"]
    assert detail(api, crew)["escalation"]["next_at"] == "2026-11-20T09:05:00Z"


def test_a_p2_resolved_before_morning_pages_nobody(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    open_at(rt, clock, NIGHT, magnitude=0.6)
    api.post("/v1/incidents/INC-1/resolve", json={}, headers=crew.auth("respond"))
    clock.set(T0)
    tick(rt)
    assert paged(rt) == []


def test_a_p2_acknowledged_at_night_pages_nobody_in_the_morning(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    open_at(rt, clock, NIGHT, magnitude=0.6)
    clock.advance(timedelta(hours=1))
    assert api.post("/v1/incidents/INC-1/ack", json={}, headers=crew.auth("respond")).is_success
    clock.set(T0)
    tick(rt)
    assert paged(rt) == []
    [held] = [n for n in detail(api, crew)["notices"] if n["kind"] == "escalation"]
    assert held["state"] == "cancelled"


def test_a_p2_in_working_hours_pages_at_once(rt: Runtime, clock: ManualClock) -> None:
    open_at(rt, clock, T0 + timedelta(hours=2), magnitude=0.6)
    assert paged(rt) == ["alice"]


def test_a_task_for_a_role_tells_its_holder(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    feed(rt, alert(magnitude=1.5))  # P1 in working hours
    r = api.post(
        "/v1/incidents/INC-1/tasks",
        json={"title": "Check the <b>retriever</b> index", "role": "engineering_lead"},
        headers=crew.auth("respond"),
    )
    assert r.status_code == 200, r.text
    [task] = [t for t in sent(rt, "incident.task") if "retriever" in t["text"]]
    assert task["recipient"]["person"] == "bob"  # the engineering lead, from on call
    assert "Check the <b>retriever</b> index" in task["text"]
    told = [e for e in r.json()["timeline"] if e["kind"] == "task_notified"][-1]
    assert told["data"]["person"] == "bob"
    assert "retriever" in told["text"]


def test_each_persons_acknowledgement_is_recorded(
    rt: Runtime, api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    feed(rt, alert(magnitude=1.5))
    clock.advance(timedelta(minutes=6))  # level 2 (bob) paged too
    tick(rt)
    links = {p["recipient"]["person"]: p["ack_url"] for p in sent(rt, "incident.page")}
    assert set(links) == {"alice", "bob"}
    clock.advance(timedelta(minutes=1))
    assert api.post(links["bob"].removeprefix("http://tripwire.test")).status_code == 200
    clock.advance(timedelta(minutes=1))
    r = api.post(links["alice"].removeprefix("http://tripwire.test"))
    assert r.status_code == 200
    assert "recorded too" in r.text
    again = api.post(links["alice"].removeprefix("http://tripwire.test"))
    assert "already acknowledged" in again.text
    body = detail(api, crew)
    assert body["status"] == "acknowledged"
    assert body["acknowledgements"] == [
        {"person": "bob", "at": "2026-11-20T09:07:00Z", "via": "link", "channel": "hook"},
        {"person": "alice", "at": "2026-11-20T09:08:00Z", "via": "link", "channel": "hook"},
    ]
    timeline = [(e["kind"], e["actor"]) for e in body["timeline"]]
    assert ("acknowledged", "bob") in timeline
    assert ("ack", "alice") in timeline


def test_actions_are_attributed_to_the_token_not_the_body(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    feed(rt, alert(magnitude=1.5))
    auth = crew.auth("respond")  # the fixture names each token after its scope
    body = {"text": "rolled back", "by": "mallory"}
    assert api.post("/v1/incidents/INC-1/notes", json=body, headers=auth).status_code == 200
    r = api.post("/v1/incidents/INC-1/ack", json={"by": "mallory"}, headers=auth)
    assert r.status_code == 200, r.text
    actors = {e["kind"]: e["actor"] for e in r.json()["timeline"]}
    assert actors["note"] == "respond"
    assert actors["acknowledged"] == "respond"
    assert r.json()["acknowledgements"][0] | {"at": None} == {
        "person": "respond",
        "at": None,
        "via": "api",
        "channel": None,
    }
    r = api.post(
        "/v1/incidents/INC-1/roles",
        json={"role": "communications_lead", "person": "sam", "by": "mallory"},
        headers=auth,
    )
    role = next(e for e in r.json()["timeline"] if e["kind"] == "role" and "sam" in e["text"])
    assert role["actor"] == "respond"
    schema = api.get("/openapi.json").json()["components"]["schemas"]["NoteIn"]
    assert schema["properties"]["by"]["deprecated"] is True


def test_incident_links_open_the_ui(rt: Runtime, api: TestClient) -> None:
    feed(rt, alert())
    for path in ("/incidents/INC-1", "/incidents/1", "/incidents/inc-1"):
        r = api.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/ui/incidents/INC-1"), path
    assert api.get("/incidents/%3Cscript%3E", follow_redirects=False).status_code == 404
    page = api.get("/incidents/INC-1")  # followed: the UI asks to sign in first
    assert page.status_code == 200
    assert "/ui/login" in str(page.url)


def test_the_incident_page_shows_who_acknowledged(rt: Runtime, api: TestClient, crew: Cast) -> None:
    feed(rt, alert(magnitude=1.5))
    link = sent(rt, "incident.page")[0]["ack_url"].removeprefix("http://tripwire.test")
    assert api.post(link).is_success
    r = api.post("/ui/login", data={"token": crew.respond, "next": "/ui/incidents/INC-1"})
    assert r.status_code == 200, r.text
    assert "Acknowledged</h2>" in r.text
    assert "alice · 09:00 UTC · link (hook)" in r.text

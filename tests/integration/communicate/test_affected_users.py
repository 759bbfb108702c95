"""Affected users and messages to them, through HTTP: the exact audience (segment, window,
flagged outputs), a linted message approved by the communications lead and delivered by SMTP
to each user with per-recipient states, and the follow-up enforced after resolution."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0
from tests.integration.respond.conftest import make_runtime, respond_config, tick
from tests.smtp_inbox import Inbox
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.notify.worker import OutboxWorker
from tripwire.pipeline.stage import StageContext
from tripwire.respond.stage import RespondStage
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

ONSET = T0 - timedelta(minutes=30)
FOLLOW_UP = "Follow-up to affected users"


@pytest.fixture
def rt(db_url: str, clock: ManualClock, smtp: tuple[Inbox, int]) -> Iterator[Runtime]:
    data = respond_config()
    data["respond"]["people"]["dee"] = {"email": "dee@example.org", "notify": ["hook"]}
    data["respond"]["roles"]["communications_lead"] = {"person": "dee"}
    data["respond"]["channels"]["users"] = {
        "type": "email", "host": "127.0.0.1", "port": smtp[1], "security": "none",
        "from": "support@example.com",
    }  # fmt: skip
    data["communicate"] = {
        "user_messages": {"channel": "users", "address": "{user_id}@example.com"},
        "status_page": {"components": {"support-chat": {"name": "Support Chat"}}},
    }
    runtime = make_runtime(db_url, clock, parse_config(data))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


def token(rt: Runtime, name: str, scopes: list[str]) -> dict[str, str]:
    with rt.db.session() as session:
        secret = create_token(session, name, scopes, rt.clock.now())[1]  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {secret}"}


def output(i: str, minutes: float, user: str | None, prompt: str, bad: bool | None) -> list[Any]:
    """An output, and a safety check about it (triggered when `bad`; none when None)."""
    ts = isoformat_z(ONSET + timedelta(minutes=minutes))
    out: dict[str, Any] = {"id": i, "type": "output", "ts": ts, "use_case": "support-chat",
                           "model": "acme-large-2", "prompt_version": prompt}  # fmt: skip
    if user is not None:
        out["user_id"] = user
    events: list[Any] = [out]
    if bad is not None:
        events.append({"id": f"s-{i}", "type": "safety", "ts": ts, "use_case": "support-chat",
                       "filter": "moderation", "output_id": i, "triggered": bad})  # fmt: skip
    return events


def traffic(rt: Runtime) -> None:
    events: list[Any] = []
    events += output("a1", 5, "ann", "p8", True)  # in segment and window, flagged
    events += output("a2", 6, "ann", "p8", True)
    events += output("b1", 7, "bob", "p8", True)
    events += output("g1", 8, "gus", "p8", False)  # only good outputs: not affected
    events += output("o1", 9, "oli", "p7", True)  # another prompt version: outside the segment
    events += output("e1", -10, "eve", "p8", True)  # before the onset: outside the window
    events += output("n1", 10, None, "p8", True)  # flagged, no user: counted apart
    events += output("x1", 11, "bad address", "p8", True)  # no e-mail address can be made
    # A low safety score from an evaluator flags an output as well as a triggered check.
    events += output("c1", 12, "cat", "p8", None)
    events.append({"id": "c1#safety", "type": "score", "ts": events[-1]["ts"],
                   "use_case": "support-chat", "output_id": "c1", "name": "safety",
                   "value": 0.2})  # fmt: skip
    store_events(rt.db, parse_batch(events), rt.clock)


def open_incident(rt: Runtime) -> None:
    alert = Alert(
        dedup_key="safety-triggers:support-chat:prompt_version=p8",
        state="firing",
        incident_type="safety",
        use_case="support-chat",
        monitor="safety-triggers",
        metric="safety_trigger_rate",
        started_at=ONSET,
        detected_at=T0,
        baseline=0.01,
        observed=0.5,
        magnitude=3.0,
        segment={"prompt_version": "p8"},
    )
    with rt.db.session() as session:
        ctx = StageContext(session, rt.clock, rt.config, rt.settings)
        ctx.alerts.append(alert)
        RespondStage(rt.incidents).handle(ctx, [])


AFFECTED = {"ann": 2, "bob": 1, "bad address": 1, "cat": 1}


def test_the_affected_users_respect_segment_window_and_flags(rt: Runtime, api: TestClient) -> None:
    traffic(rt)
    open_incident(rt)
    reader = token(rt, "reader", ["read"])
    body = api.get("/v1/incidents/INC-1/affected-users", headers=reader).json()
    assert {u["user_id"]: u["outputs"] for u in body["users"]} == AFFECTED
    assert (body["count"], body["outputs"], body["unattributed_outputs"]) == (4, 6, 1)
    assert body["cursor"] is None
    assert body["scope"]["segments"] == [{"prompt_version": "p8"}]
    paged: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/incidents/INC-1/affected-users", params=params, headers=reader)
        paged += [u["user_id"] for u in page.json()["users"]]
        cursor = page.json()["cursor"]
        if cursor is None:
            break
    assert paged == sorted(AFFECTED)
    exported = api.get("/v1/incidents/INC-1/affected-users?format=csv", headers=reader)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["user_id"]: int(r["outputs"]) for r in rows} == AFFECTED
    whole = api.get("/v1/incidents/INC-1/affected-users.json", headers=reader).json()
    assert len(whole["users"]) == 4
    bad = api.get("/v1/incidents/INC-1/affected-users?cursor=%%%", headers=reader)
    assert bad.status_code == 422
    assert api.get("/v1/incidents/INC-9/affected-users", headers=reader).status_code == 404


def test_a_linted_approved_message_reaches_each_user_by_smtp(
    rt: Runtime, api: TestClient, smtp: tuple[Inbox, int], clock: ManualClock
) -> None:
    inbox, _ = smtp
    traffic(rt)
    open_incident(rt)
    ops, lead = token(rt, "ops", ["respond"]), token(rt, "dee", ["respond"])
    made = api.post("/v1/incidents/INC-1/communications", json={"kind": "initial"}, headers=ops)
    assert made.status_code == 201, made.text
    message = made.json()
    assert message["status"] == "draft"
    assert message["findings"] == []
    assert "4 people" in message["text"]  # the exact audience, not every user of the use case
    url = f"/v1/incidents/INC-1/communications/{message['id']}"
    assert api.post(url + "/send", headers=ops).status_code == 409  # not approved
    refused = api.post(url + "/approve", headers=ops)
    assert refused.status_code == 409
    assert "communications lead" in refused.json()["error"]
    approved = api.post(url + "/approve", headers=lead).json()
    assert (approved["status"], approved["approved_by"]) == ("approved", "dee")
    sent = api.post(url + "/send", headers=ops).json()
    assert (sent["status"], sent["recipients"], sent["sent_by"]) == ("sent", 4, "ops")
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
    while worker.run_once():
        pass
    worker.close()
    delivered = {
        tuple(to): message_from_bytes(raw, policy=policy.default) for to, raw in inbox.messages
    }
    assert set(delivered) == {("ann@example.com",), ("bob@example.com",), ("cat@example.com",)}
    mail = delivered[("ann@example.com",)]
    assert mail["Subject"] == message["subject"]
    assert "Support Chat" in mail.get_content()
    states = api.get(url, headers=ops).json()
    by_user = {r["user_id"]: r for r in states["recipient_states"]}
    assert {u: r["state"] for u, r in by_user.items()} == {
        "ann": "sent", "bob": "sent", "cat": "sent", "bad address": "failed",
    }  # fmt: skip
    assert by_user["bad address"]["error"] == "no e-mail address for this user id"
    assert by_user["ann"]["attempts"] == 1
    listed = api.get("/v1/incidents/INC-1/communications", headers=ops).json()["messages"]
    assert listed[0]["delivery"] == {"queued": 0, "sent": 3, "failed": 1}
    timeline = api.get("/v1/incidents/INC-1", headers=ops).json()["timeline"]
    assert any("approved by dee" in e["text"] for e in timeline)


def test_a_draft_with_a_placeholder_is_refused(rt: Runtime, api: TestClient) -> None:
    traffic(rt)
    open_incident(rt)
    ops, lead = token(rt, "ops", ["respond"]), token(rt, "dee", ["respond"])
    made = api.post(
        "/v1/incidents/INC-1/communications", json={"kind": "resolution"}, headers=ops
    ).json()
    assert "[say what you changed]" in made["text"]
    assert "placeholder" in {f["rule"] for f in made["findings"]}
    url = f"/v1/incidents/INC-1/communications/{made['id']}"
    refused = api.post(url + "/approve", headers=lead)
    assert refused.status_code == 409
    assert "placeholder" in {f["rule"] for f in refused.json()["findings"]}
    jargon = made["text"].replace("[say what you changed]", "fixing safety_trigger_rate on p8")
    edited = api.put(url, json={"text": jargon}, headers=ops).json()
    assert {"internal-name"} <= {f["rule"] for f in edited["findings"]}
    fixed = made["text"].replace(
        "[say what you changed]", "checking every answer with a second content filter"
    )
    assert api.put(url, json={"text": fixed}, headers=ops).json()["findings"] == []
    assert api.post(url + "/approve", headers=lead).json()["status"] == "approved"
    # An edit after approval needs a new approval: what was approved is what is sent.
    api.put(url, json={"text": fixed + " Thank you."}, headers=ops)
    assert api.post(url + "/send", headers=ops).status_code == 409


def test_the_follow_up_is_created_at_resolution_reminded_and_escalated(
    rt: Runtime, api: TestClient, clock: ManualClock
) -> None:
    traffic(rt)
    open_incident(rt)
    ops = token(rt, "ops", ["respond"])
    assert api.post("/v1/incidents/INC-1/resolve", json={}, headers=ops).status_code == 200
    detail = api.get("/v1/incidents/INC-1", headers=ops).json()
    [task] = [t for t in detail["tasks"] if t["title"].startswith("Send the follow-up")]
    assert task["role"] == "communications_lead"
    assert task["due_at"] == isoformat_z(T0 + timedelta(hours=48))
    clock.set(T0 + timedelta(hours=36, minutes=1))
    tick(rt)
    timeline = api.get("/v1/incidents/INC-1", headers=ops).json()["timeline"]
    reminder = [e for e in timeline if e["kind"] == "follow_up_reminder"]
    assert len(reminder) == 1
    assert any(e["kind"] == "page" and e["data"]["person"] == "dee" for e in timeline)
    assert not any(e["kind"] == "deadline_missed" and FOLLOW_UP in e["text"] for e in timeline)
    clock.set(T0 + timedelta(hours=48, minutes=1))
    tick(rt)
    timeline = api.get("/v1/incidents/INC-1", headers=ops).json()["timeline"]
    assert [e["kind"] for e in timeline].count("follow_up_reminder") == 1
    missed = [e for e in timeline if e["kind"] == "deadline_missed" and FOLLOW_UP in e["text"]]
    assert len(missed) == 1
    after = timeline[timeline.index(missed[0]) :]
    paged = [e["data"]["person"] for e in after if e["kind"] == "page"]
    assert paged == ["alice"]  # the incident commander


def test_a_sent_follow_up_meets_the_deadline(
    rt: Runtime, api: TestClient, clock: ManualClock
) -> None:
    traffic(rt)
    open_incident(rt)
    ops, lead = token(rt, "ops", ["respond"]), token(rt, "dee", ["respond"])
    api.post("/v1/incidents/INC-1/resolve", json={}, headers=ops)
    made = api.post(
        "/v1/incidents/INC-1/communications", json={"kind": "follow_up"}, headers=ops
    ).json()
    url = f"/v1/incidents/INC-1/communications/{made['id']}"
    text = made["text"].replace("[the checks or safeguards]", "a second content filter")
    api.put(url, json={"text": text}, headers=ops)
    assert api.post(url + "/approve", headers=lead).status_code == 200
    assert api.post(url + "/send", headers=ops).status_code == 200
    clock.set(T0 + timedelta(hours=49))
    tick(rt)
    detail = api.get("/v1/incidents/INC-1", headers=ops).json()
    missed = [e for e in detail["timeline"] if e["kind"] == "deadline_missed"]
    assert not any(FOLLOW_UP in e["text"] for e in missed)
    [task] = [t for t in detail["tasks"] if t["title"].startswith("Send the follow-up")]
    assert task["status"] == "done"

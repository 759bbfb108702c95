"""When a signal grows, the severity rules run again: a safety incident that becomes a P0
pages its people with the reason and gets the P0-only steps of its playbook (legal)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Cast
from tests.integration.respond.conftest import alert, feed
from tripwire.runtime.wiring import Runtime

LEGAL = "Notify legal and leadership"


def test_a_safety_incident_raised_to_p0_pages_and_adds_the_legal_step(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    feed(rt, alert("safety-rate:support-chat", type_="safety", magnitude=0.8))
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert incident["severity"] == "P1"
    assert LEGAL not in [t["title"] for t in incident["tasks"]]
    feed(rt, alert("safety-rate:support-chat", type_="safety", magnitude=2.5, at_minutes=5))
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert incident["severity"] == "P0"
    assert LEGAL in [t["title"] for t in incident["tasks"]]
    pages = [e for e in incident["timeline"] if e["kind"] == "page"]
    assert any(p["data"]["reason"] == "severity raised P1 -> P0" for p in pages)
    extended = [e["text"] for e in incident["timeline"] if e["kind"] == "playbook"]
    assert any("severity P1 -> P0" in t and "notify_legal_leadership" in t for t in extended)


def test_a_regression_that_turns_out_to_be_safety_gets_its_people_and_steps(
    rt: Runtime, api: TestClient, crew: Cast
) -> None:
    feed(rt, alert("neg-feedback:support-chat"))
    feed(rt, alert("safety-rate:support-chat", type_="safety", magnitude=0.8, at_minutes=10))
    incident = api.get("/v1/incidents/INC-1", headers=crew.auth("read")).json()
    assert incident["type"] == "safety"
    assert "flagged or blocked content" in incident["type_reason"]
    assert incident["severity"] == "P1"  # the safety rule, re-run with the new type
    assert incident["roles"]["safety_lead"] == "sam"
    paged = {e["data"]["person"] for e in incident["timeline"] if e["kind"] == "page"}
    assert "sam" in paged
    assert "Stop ongoing harm with the kill switch or a feature flag" in [
        t["title"] for t in incident["tasks"]
    ]

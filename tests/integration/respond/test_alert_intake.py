"""Alertmanager and PagerDuty bodies open, join, acknowledge and resolve incidents."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Cast


def am_body(status: str, *alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "status": status,
        "receiver": "tripwire",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": list(alerts),
    }


def am_alert(fp: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "HighLatency", **labels},
        "annotations": {"summary": "p95 latency above 2 s"},
        "startsAt": "2026-11-20T08:55:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-20T09:30:00Z",
        "generatorURL": "http://prom/graph",
        "fingerprint": fp,
    }


def incidents(api: TestClient, crew: Cast) -> list[dict[str, Any]]:
    return api.get("/v1/incidents", headers=crew.auth("read")).json()["incidents"]  # type: ignore[no-any-return]


def test_alertmanager_alerts_open_one_incident_and_resolve_it(api: TestClient, crew: Cast) -> None:
    auth = crew.auth("ingest")
    r = api.post(
        "/v1/alerts/alertmanager",
        json=am_body("firing", am_alert("aa"), am_alert("bb")),
        headers=auth,
    )
    assert r.status_code == 200, r.text
    api.post("/v1/alerts/alertmanager", json=am_body("firing", am_alert("aa")), headers=auth)
    [incident] = incidents(api, crew)
    assert (incident["type"], incident["use_case"]) == ("availability", None)
    assert incident["title"] == "p95 latency above 2 s"
    assert len(incident["signals"]) == 2
    assert incident["started_at"] == "2026-11-20T08:55:00Z"
    api.post(
        "/v1/alerts/alertmanager",
        json=am_body("resolved", am_alert("aa", "resolved"), am_alert("bb", "resolved")),
        headers=auth,
    )
    # Alertmanager resolves after its own resolve_timeout: the incident follows at once.
    assert incidents(api, crew)[0]["status"] == "resolved"


def test_alertmanager_labels_choose_the_type_and_use_case(api: TestClient, crew: Cast) -> None:
    body = am_body("firing", am_alert("cc", tripwire_type="safety", use_case="med-summary"))
    api.post("/v1/alerts/alertmanager", json=body, headers=crew.auth("ingest"))
    [incident] = incidents(api, crew)
    assert (incident["type"], incident["use_case"], incident["severity"]) == (
        "safety",
        "med-summary",
        "P0",
    )


def test_alertmanager_refuses_a_body_that_is_not_one(api: TestClient, crew: Cast) -> None:
    r = api.post("/v1/alerts/alertmanager", json={"alerts": "x"}, headers=crew.auth("ingest"))
    assert r.status_code == 400
    assert "alerts" in r.json()["error"]
    assert api.post("/v1/alerts/alertmanager", json=am_body("firing")).status_code == 401


def pd(action: str, key: str | None, routing_key: str = "x" * 32, **payload: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": routing_key, "event_action": action}
    if key:
        body["dedup_key"] = key
    if action == "trigger":
        body["payload"] = {
            "summary": "GPU pool down",
            "source": "k8s",
            "severity": "critical",
            **payload,
        }
    return body


def test_pagerduty_events_trigger_ack_and_resolve(api: TestClient, crew: Cast) -> None:
    auth = crew.auth("ingest")
    r = api.post("/v1/alerts/pagerduty", json=pd("trigger", "gpu-1"), headers=auth)
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "gpu-1"}
    api.post("/v1/alerts/pagerduty", json=pd("trigger", "gpu-1"), headers=auth)
    [incident] = incidents(api, crew)
    assert (incident["severity"], incident["type"]) == ("P1", "availability")
    api.post("/v1/alerts/pagerduty", json=pd("acknowledge", "gpu-1"), headers=auth)
    assert incidents(api, crew)[0]["status"] == "acknowledged"
    api.post("/v1/alerts/pagerduty", json=pd("resolve", "gpu-1"), headers=auth)
    assert incidents(api, crew)[0]["status"] == "resolved"
    api.post("/v1/alerts/pagerduty", json=pd("trigger", "gpu-1"), headers=auth)
    assert [i["status"] for i in incidents(api, crew)] == ["triggered", "resolved"]


def test_pagerduty_accepts_an_ingest_token_as_routing_key(api: TestClient, crew: Cast) -> None:
    body = pd(
        "trigger",
        None,
        routing_key=crew.ingest,
        custom_details={"use_case": "chat", "tripwire_type": "hallucination"},
    )
    r = api.post("/v1/alerts/pagerduty", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["dedup_key"]
    assert incidents(api, crew)[0]["type"] == "hallucination"
    assert (
        api.post("/v1/alerts/pagerduty", json=pd("trigger", "k", routing_key=crew.read)).status_code
        == 403
    )


def test_pagerduty_invalid_events_get_400_like_pagerduty(api: TestClient, crew: Cast) -> None:
    r = api.post(
        "/v1/alerts/pagerduty",
        json={"routing_key": "k", "event_action": "trigger"},
        headers=crew.auth("ingest"),
    )
    assert r.status_code == 400
    assert r.json()["status"] == "invalid event"
    assert "payload" in r.json()["error"]


def test_a_pagerduty_retrigger_at_a_graver_severity_raises_the_incident(
    api: TestClient, crew: Cast
) -> None:
    """PagerDuty re-sends a trigger with the same dedup key when the problem grows; its new
    severity counts as the detector's larger change does, and the timeline says who sent it."""
    auth = crew.auth("ingest")
    api.post("/v1/alerts/pagerduty", json=pd("trigger", "db-1", severity="warning"), headers=auth)
    [incident] = incidents(api, crew)
    assert incident["severity"] == "P3"
    api.post("/v1/alerts/pagerduty", json=pd("trigger", "db-1", severity="critical"), headers=auth)
    [incident] = incidents(api, crew)
    assert incident["severity"] == "P1"
    detail = api.get(f"/v1/incidents/{incident['id']}", headers=crew.auth("read")).json()
    [rise] = [e for e in detail["timeline"] if e["kind"] == "severity_changed"]
    assert rise["text"].endswith("the severity pagerduty sent")
    api.post("/v1/alerts/pagerduty", json=pd("trigger", "db-1", severity="info"), headers=auth)
    assert incidents(api, crew)[0]["severity"] == "P1"  # a milder re-trigger lowers nothing

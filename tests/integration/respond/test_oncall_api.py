"""Who is on call, shifts and overrides through the API; metrics of the response."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import Cast
from tripwire.domain.clock import ManualClock


def test_who_is_on_call_now_and_with_an_override(api: TestClient, crew: Cast) -> None:
    r = api.get("/v1/oncall", headers=crew.auth("read"))
    primary = next(s for s in r.json()["schedules"] if s["schedule"] == "primary")
    assert primary["on_call"]["person"] == "alice"
    body = {"person": "bob", "start": "2026-11-20T08:00:00Z", "end": "2026-11-20T12:00:00Z"}
    r = api.post("/v1/oncall/primary/overrides", json=body, headers=crew.auth("respond"))
    assert r.status_code == 201, r.text
    r = api.get("/v1/oncall", headers=crew.auth("read"))
    primary = next(s for s in r.json()["schedules"] if s["schedule"] == "primary")
    assert primary["on_call"] == {
        "person": "bob",
        "start": "2026-11-20T08:00:00Z",
        "end": "2026-11-20T12:00:00Z",
        "source": "override",
    }
    r = api.get("/v1/oncall/primary?to=2026-11-20T13:00:00Z", headers=crew.auth("read"))
    assert [s["person"] for s in r.json()["shifts"]] == ["bob", "alice"]


def test_an_override_for_a_stranger_is_refused(api: TestClient, crew: Cast) -> None:
    body = {"person": "mallory", "start": "2026-11-20T08:00:00Z", "end": "2026-11-20T12:00:00Z"}
    r = api.post("/v1/oncall/primary/overrides", json=body, headers=crew.auth("respond"))
    assert r.status_code == 422
    assert "mallory" in r.json()["error"]


def test_response_metrics_per_type_and_severity(
    api: TestClient, crew: Cast, clock: ManualClock
) -> None:
    body = {
        "type": "safety",
        "title": "t",
        "use_case": "chat",
        "severity": "P0",
        "started_at": "2026-11-20T08:50:00Z",
    }
    api.post("/v1/incidents", json=body, headers=crew.auth("respond"))
    clock.advance(timedelta(minutes=4))
    api.post("/v1/incidents/INC-1/ack", json={}, headers=crew.auth("respond"))
    clock.advance(timedelta(minutes=26))
    api.post("/v1/incidents/INC-1/resolve", json={}, headers=crew.auth("respond"))
    [group] = api.get("/v1/metrics/response", headers=crew.auth("read")).json()["groups"]
    assert (group["mttd"], group["mtta"], group["mttm"], group["mttr"]) == (600, 240, 1800, 1800)
    text = api.get("/metrics", headers=crew.auth("read")).text
    assert 'tripwire_mtta_seconds{severity="P0",type="safety"} 240.0' in text
    assert 'tripwire_incidents{status="resolved"} 1.0' in text
    assert api.get("/metrics").status_code == 401

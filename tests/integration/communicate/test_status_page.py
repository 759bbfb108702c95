"""The public status page through HTTP: only published incidents, under their public title,
with every public update; four public statuses; history, uptime and maintenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cast
from tests.integration.respond.conftest import alert, feed, make_runtime, respond_config
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime

HOSTILE = "<script>alert('x')</script>"
HOSTILE_SVG = '"><svg onload=alert(1)>'


def declare(client: TestClient, cast: Cast, **body: object) -> str:
    payload: dict[str, object] = {
        "type": "availability",
        "title": "Chat is slow",
        "use_case": "support-chat",
    }
    payload.update(body)
    r = client.post("/v1/incidents", json=payload, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def publish(client: TestClient, cast: Cast, ident: str, **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Slow answers in support chat",
        "body": "We are looking into slow answers.",
        "components": {"support-chat": "partial_outage"},
    }
    payload.update(body)
    r = client.post(f"/v1/incidents/{ident}/public", json=payload, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def update(client: TestClient, cast: Cast, ident: str, **body: Any) -> Any:
    return client.post(
        f"/v1/incidents/{ident}/public/updates", json=body, headers=cast.auth("respond")
    )


def summary(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/status/summary.json").json())


def component(s: dict[str, Any], key: str = "support-chat") -> dict[str, Any]:
    return dict(next(c for c in s["components"] if c["id"] == key))


def test_all_is_operational_with_no_incidents(client: TestClient) -> None:
    s = summary(client)
    assert s["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert s["incidents"] == []
    assert s["scheduled_maintenances"] == []


def test_an_unpublished_incident_never_appears_and_its_component_stays_operational(
    client: TestClient, cast: Cast
) -> None:
    declare(client, cast, severity="P0", title="mean_score:groundedness@product down 13%")
    s = summary(client)
    assert component(s)["status"] == "operational"
    assert s["status"]["indicator"] == "none"
    assert s["incidents"] == []
    page = client.get("/status").text
    assert "groundedness" not in page
    assert "Chat is slow" not in page


def test_a_detector_alert_changes_nothing_public_until_a_person_publishes(
    db_url: str, clock: ManualClock
) -> None:
    """The real path: a detector's alert opens an incident; the page stays as it was."""
    rt = make_runtime(db_url, clock, parse_config(respond_config()))
    try:
        feed(rt, alert(magnitude=3.0))
        with TestClient(create_app(rt, background=False)) as client:
            incidents = client.get("/v1/incidents", headers=_admin(rt)).json()["incidents"]
            assert len(incidents) == 1
            s = summary(client)
            assert s["incidents"] == []
            assert component(s)["status"] == "operational"
            assert incidents[0]["title"] not in client.get("/status").text
    finally:
        rt.close()


def _admin(rt: Runtime) -> dict[str, str]:
    from tripwire.store.tokens import create_token

    with rt.db.session() as session:
        secret = create_token(session, "ops", ["admin"], rt.clock.now())[1]
    return {"Authorization": f"Bearer {secret}"}


def test_a_published_incident_shows_its_public_title_and_every_update(
    client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    ident = declare(client, cast, severity="P1", title="latency_p95@support-chat up 240%")
    made = publish(client, cast, ident)
    assert made["name"] == "Slow answers in support chat"
    clock.advance(timedelta(minutes=20))
    assert update(
        client, cast, ident, status="identified", body="A provider slowed down."
    ).is_success
    s = summary(client)
    [incident] = s["incidents"]
    assert incident["name"] == "Slow answers in support chat"
    assert incident["status"] == "identified"
    assert incident["impact"] == "major"
    bodies = [u["body"] for u in incident["incident_updates"]]
    assert bodies == ["A provider slowed down.", "We are looking into slow answers."]
    assert component(s)["status"] == "partial_outage"
    assert s["status"]["indicator"] == "major"
    assert "latency_p95" not in str(s)
    page = client.get("/status").text
    assert "Slow answers in support chat" in page
    assert "latency_p95" not in page
    assert "A provider slowed down." in page
    assert "We are looking into slow answers." in page
    # Times: an instant for the script, readable UTC without it (no seconds, no microseconds).
    assert '<time class="local" datetime="2026-11-20T09:20:00Z">2026-11-20 09:20 UTC</time>' in page
    assert '<script src="/static/localtime.js"' in page
    assert client.get("/static/localtime.js").status_code == 200
    # The change is attributed to the token that made it.
    client.post("/ui/login", data={"token": cast.respond})
    assert "published by respond" in client.get("/ui/status-page").text


def test_only_the_four_public_statuses_are_accepted(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    bad = client.post(
        f"/v1/incidents/{ident}/public",
        json={"title": "Slow", "body": "Looking", "status": "fixed"},
        headers=cast.auth("respond"),
    )
    assert bad.status_code == 422
    assert "investigating, identified, monitoring, resolved" in bad.json()["error"]
    publish(client, cast, ident)
    for status in ("triggered", "mitigated", "Resolved", ""):
        r = update(client, cast, ident, status=status, body="x")
        assert r.status_code == 422, status
    wrong = update(client, cast, ident, status="monitoring", body="x", components={"x": "down"})
    assert wrong.status_code == 422
    assert "unknown component" in wrong.json()["error"]
    empty = update(client, cast, ident, status="monitoring", body="  ")
    assert empty.status_code == 422
    assert publish_again(client, cast, ident).status_code == 409
    unpublished = declare(client, cast)
    assert update(client, cast, unpublished, status="monitoring", body="x").status_code == 404
    assert update(client, cast, "INC-999", status="monitoring", body="x").status_code == 404
    assert len(summary(client)["incidents"][0]["incident_updates"]) == 1


def publish_again(client: TestClient, cast: Cast, ident: str) -> Any:
    body = {"title": "Again", "body": "Again"}
    return client.post(f"/v1/incidents/{ident}/public", json=body, headers=cast.auth("respond"))


def test_a_public_resolution_restores_components_and_history_keeps_every_update(
    client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    ident = declare(client, cast, severity="P0")
    publish(client, cast, ident, components={"support-chat": "major_outage"})
    clock.advance(timedelta(hours=3))
    assert update(client, cast, ident, status="monitoring", body="A fix is rolling out.").is_success
    clock.advance(timedelta(hours=3))
    assert update(client, cast, ident, status="resolved", body="Answers are fast again.").is_success
    s = summary(client)
    assert component(s)["status"] == "operational"
    assert s["incidents"][0]["status"] == "resolved"
    assert s["incidents"][0]["impact"] == "critical"  # the worst it announced stays
    # Two days later it is no longer current, but the history shows it with every update.
    clock.advance(timedelta(days=2))
    assert summary(client)["incidents"] == []
    page = client.get("/status").text
    past = page[page.index('id="past"') :]
    for text in ("We are looking into slow answers.", "A fix is rolling out.", "Answers are fast"):
        assert text in past
    # The day of the outage is red in the bars, the others green, uptime below 100 %.
    bars = re.findall(r'<rect x="\d+" y="0" width="3" height="34" class="(\w+)">', page)
    assert len(bars) == 90 * len(summary(client)["components"])
    assert bars.count("major_outage") == 1
    # 6 h of major outage over 88 days and the 9 h of today: 100 * (1 - 360 / 128_160)
    assert "99.72% uptime" in page


def test_maintenance_is_announced_then_shown_in_progress(
    client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    declare(client, cast)  # the use case becomes a component
    start = clock.now() + timedelta(hours=2)
    body = {
        "title": "Database upgrade",
        "body": "Answers may be slower for up to an hour.",
        "components": ["support-chat"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    r = client.post("/v1/status-page/maintenance", json=body, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text
    [m] = summary(client)["scheduled_maintenances"]
    assert m["status"] == "scheduled"
    assert m["components"][0]["id"] == "support-chat"
    assert component(summary(client))["status"] == "operational"
    assert "Database upgrade" in client.get("/status").text
    clock.advance(timedelta(hours=2, minutes=30))
    s = summary(client)
    assert s["scheduled_maintenances"][0]["status"] == "in_progress"
    assert component(s)["status"] == "under_maintenance"
    assert s["status"]["indicator"] == "maintenance"
    clock.advance(timedelta(hours=1))
    assert summary(client)["scheduled_maintenances"] == []
    backwards = {**body, "ends_at": body["starts_at"]}
    bad = client.post("/v1/status-page/maintenance", json=backwards, headers=cast.auth("respond"))
    assert bad.status_code == 422


def test_hostile_public_text_is_escaped(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast, title=HOSTILE)
    publish(client, cast, ident, title=HOSTILE, body=HOSTILE_SVG)
    assert update(client, cast, ident, status="monitoring", body=HOSTILE).is_success
    assert summary(client)["incidents"][0]["name"] == HOSTILE  # JSON carries the text as is
    client.post("/ui/login", data={"token": cast.respond})
    for path in ("/status", "/ui/status-page"):
        page = client.get(path).text
        assert HOSTILE not in page, path
        assert "<svg onload" not in page, path
        assert "&lt;script&gt;" in page


def test_the_editor_publishes_updates_and_schedules_maintenance(
    client: TestClient, cast: Cast, clock: ManualClock
) -> None:
    ident = declare(client, cast)
    client.post("/ui/login", data={"token": cast.respond})
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/status-page").text)
    assert csrf is not None
    token = csrf.group(1)
    form = {
        "csrf": token,
        "title": "Slow chat",
        "body": "Looking into it.",
        "status": "investigating",
        "component": "support-chat",
        "impact": "major_outage",
    }
    r = client.post(f"/ui/status-page/incidents/{ident}/publish", data=form)
    assert r.status_code == 200
    assert "Slow chat" in r.text
    assert component(summary(client))["status"] == "major_outage"
    bad = {"csrf": token, "status": "fixed", "body": "x"}
    refused = client.post(f"/ui/status-page/incidents/{ident}/update", data=bad)
    assert refused.status_code == 422
    assert "status must be one of" in refused.text
    done = {"csrf": token, "status": "resolved", "body": "Fixed."}
    assert client.post(f"/ui/status-page/incidents/{ident}/update", data=done).status_code == 200
    assert component(summary(client))["status"] == "operational"
    start = clock.now() + timedelta(days=1)
    window = {
        "csrf": token,
        "title": "Upgrade",
        "body": "Short pause.",
        "component": "support-chat",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post("/ui/status-page/maintenance", data=window).status_code == 200
    assert summary(client)["scheduled_maintenances"][0]["name"] == "Upgrade"
    forged = client.post(f"/ui/status-page/incidents/{ident}/update", data={**done, "csrf": "x"})
    assert forged.status_code == 403


@pytest.fixture
def auto_runtime(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    data = respond_config()
    data["communicate"] = {
        "status_page": {
            "auto_publish": "P0",
            "components": {"support-chat": {"name": "Support Chat"}},
        }
    }
    rt = make_runtime(db_url, clock, parse_config(data))
    yield rt
    rt.close()


def test_auto_publish_uses_a_neutral_title_never_the_detector_text(
    auto_runtime: Runtime,
) -> None:
    feed(auto_runtime, alert("neg:search", use_case="search", magnitude=0.6))  # P2: private
    with TestClient(create_app(auto_runtime, background=False)) as client:
        assert summary(client)["incidents"] == []
        feed(auto_runtime, alert("unsafe:support-chat", type_="safety", magnitude=3.0))
        severities = {
            i["severity"]
            for i in client.get("/v1/incidents", headers=_admin(auto_runtime)).json()["incidents"]
        }
        assert severities == {"P0", "P2"}, severities
        s = summary(client)
        [incident] = s["incidents"]
        assert incident["name"] == "Inappropriate answers in Support Chat"
        assert component(s)["status"] == "partial_outage"
        assert component(s, "search")["status"] == "operational"
        assert "unsafe" not in str(s)
        assert "negative_feedback" not in str(s)


def test_a_draft_for_an_incident_is_linted(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast, type="hallucination", use_case="med-summary")
    r = client.get(f"/v1/incidents/{ident}/communications/draft", headers=cast.auth("read"))
    assert r.status_code == 200
    body = r.json()
    assert "med-summary" in body["text"]
    assert body["findings"] == []
    missing = client.get("/v1/incidents/INC-99/communications/draft", headers=cast.auth("read"))
    assert missing.status_code == 404


def test_the_lint_endpoint_explains_problems(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/v1/communications/lint",
        json={"text": "Some users may have been affected.", "use_cases": ["support-chat"]},
        headers=cast.auth("read"),
    )
    body = r.json()
    assert body["ok"] is False
    assert {"vague-scope", "no-use-case", "no-time-window"} <= {f["rule"] for f in body["findings"]}

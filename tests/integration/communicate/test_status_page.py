"""The public status page and communication drafts through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Cast

HOSTILE = "<script>alert('x')</script>"


def declare(client: TestClient, cast: Cast, **body: object) -> str:
    payload = {"type": "availability", "title": "Chat is slow", "use_case": "support-chat"}
    payload.update(body)
    r = client.post("/v1/incidents", json=payload, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_all_is_operational_with_no_incidents(client: TestClient) -> None:
    s = client.get("/status/summary.json").json()
    assert s["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert s["incidents"] == []


def test_an_open_incident_degrades_its_component_but_stays_private(
    client: TestClient, cast: Cast
) -> None:
    declare(client, cast, severity="P1")
    s = client.get("/status/summary.json").json()
    chat = next(c for c in s["components"] if c["id"] == "support-chat")
    assert chat["status"] == "partial_outage"
    assert s["status"]["indicator"] == "major"
    assert s["incidents"] == []  # nothing public until someone posts an update


def test_a_posted_update_publishes_the_incident(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast, severity="P2", title=HOSTILE)
    r = client.post(
        f"/v1/incidents/{ident}/updates",
        json={"text": "We found the cause: a provider slowdown.", "stage": "identified"},
        headers=cast.auth("respond"),
    )
    assert r.status_code == 200, r.text
    s = client.get("/status/summary.json").json()
    [incident] = s["incidents"]
    assert incident["status"] == "identified"
    assert incident["impact"] == "minor"
    assert incident["incident_updates"][0]["body"] == "We found the cause: a provider slowdown."
    page = client.get("/status")
    assert page.status_code == 200
    assert HOSTILE not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_resolved_incident_shows_resolved_and_the_component_recovers(
    client: TestClient, cast: Cast
) -> None:
    ident = declare(client, cast, severity="P1")
    client.post(
        f"/v1/incidents/{ident}/updates",
        json={"text": "Investigating slow answers.", "stage": "investigating"},
        headers=cast.auth("respond"),
    )
    client.post(f"/v1/incidents/{ident}/resolve", json={}, headers=cast.auth("respond"))
    s = client.get("/status/summary.json").json()
    assert s["incidents"][0]["status"] == "resolved"
    assert all(c["status"] == "operational" for c in s["components"])


def test_a_draft_for_an_incident_is_linted(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast, type="hallucination", use_case="med-summary")
    r = client.get(f"/v1/incidents/{ident}/communications/draft", headers=cast.auth("read"))
    assert r.status_code == 200
    body = r.json()
    assert "med-summary" in body["text"]
    assert body["findings"] == []
    assert (
        client.get(
            "/v1/incidents/INC-99/communications/draft", headers=cast.auth("read")
        ).status_code
        == 404
    )


def test_the_lint_endpoint_explains_problems(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/v1/communications/lint",
        json={"text": "Some users may have been affected.", "use_cases": ["support-chat"]},
        headers=cast.auth("read"),
    )
    body = r.json()
    assert body["ok"] is False
    assert {"vague-scope", "no-use-case", "no-time-window"} <= {f["rule"] for f in body["findings"]}

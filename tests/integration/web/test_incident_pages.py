"""Incident and on-call pages: a responder acknowledges and resolves from the UI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cast
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime

HOSTILE = "<img src=x onerror=alert(1)>"


def sign_in(client: TestClient, token: str) -> str:
    r = client.post("/ui/login", data={"token": token, "next": "/ui"}, follow_redirects=False)
    assert r.status_code == 303
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/ui").text)
    assert match
    return match.group(1)


def declare(client: TestClient, cast: Cast, title: str = "Answers got worse") -> str:
    body = {"type": "quality_regression", "title": title, "use_case": "support-chat"}
    r = client.post("/v1/incidents", json=body, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def status_of(client: TestClient, cast: Cast, ident: str) -> str:
    return str(client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()["status"])


def test_the_list_shows_open_incidents(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    sign_in(client, cast.read)
    page = client.get("/ui/incidents")
    assert f'href="/ui/incidents/{ident}"' in page.text
    assert "Answers got worse" in page.text


def test_a_responder_acknowledges_with_a_plain_form(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    csrf = sign_in(client, cast.respond)
    r = client.post(f"/ui/incidents/{ident}/ack", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert status_of(client, cast, ident) == "acknowledged"
    timeline = client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()["timeline"]
    assert any(e["actor"] == "respond" for e in timeline)


def test_htmx_resolves_and_gets_the_fragment(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    csrf = sign_in(client, cast.respond)
    r = client.post(
        f"/ui/incidents/{ident}/resolve", headers={"HX-Request": "true", "X-CSRF-Token": csrf}
    )
    assert r.status_code == 200
    assert 'id="status">resolved<' in r.text
    assert status_of(client, cast, ident) == "resolved"


def test_an_illegal_step_is_explained(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    csrf = sign_in(client, cast.respond)
    client.post(f"/ui/incidents/{ident}/resolve", data={"csrf": csrf})
    r = client.post(f"/ui/incidents/{ident}/ack", data={"csrf": csrf})
    assert r.status_code == 409
    assert 'role="alert"' in r.text


def test_a_reader_sees_no_buttons_and_cannot_act(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    csrf = sign_in(client, cast.read)
    page = client.get(f"/ui/incidents/{ident}")
    assert "Acknowledge</button>" not in page.text
    r = client.post(f"/ui/incidents/{ident}/ack", data={"csrf": csrf})
    assert r.status_code == 403
    assert status_of(client, cast, ident) == "triggered"


def test_a_note_is_added_and_escaped(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast, title=HOSTILE)
    csrf = sign_in(client, cast.respond)
    client.post(f"/ui/incidents/{ident}/note", data={"csrf": csrf, "text": HOSTILE})
    page = client.get(f"/ui/incidents/{ident}")
    assert HOSTILE not in page.text
    assert page.text.count("&lt;img src=x onerror=alert(1)&gt;") >= 2


def test_an_unknown_incident_is_404(client: TestClient, cast: Cast) -> None:
    sign_in(client, cast.read)
    assert client.get("/ui/incidents/INC-999").status_code == 404


@pytest.fixture
def oncall_client(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, Runtime]]:
    config = parse_config(
        {
            "respond": {
                "people": {"ana": {}, "bo": {}},
                "schedules": {
                    "primary": {
                        "time_zone": "Europe/Berlin",
                        "rotations": [
                            {"members": ["ana", "bo"], "every": "weekly", "start": "2026-11-16"}
                        ],
                    }
                },
            }
        }
    )
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'o.db'}", workers=False)
    runtime = Runtime.open(settings, config, clock)
    with TestClient(create_app(runtime, background=False)) as test_client:
        yield test_client, runtime


def test_the_on_call_page_names_who_is_on_call(oncall_client: tuple[TestClient, Runtime]) -> None:
    from tripwire.store.tokens import create_token

    client, runtime = oncall_client
    with runtime.db.session() as session:
        _, token = create_token(session, "viewer", ["read"], runtime.clock.now())
    sign_in(client, token)
    page = client.get("/ui/oncall")
    assert page.status_code == 200
    assert "primary" in page.text
    assert "<strong>bo</strong>" in page.text or "<strong>ana</strong>" in page.text


def test_a_responder_changes_the_type_with_a_reason(client: TestClient, cast: Cast) -> None:
    ident = declare(client, cast)
    csrf = sign_in(client, cast.respond)
    form = {"type": "safety", "reason": HOSTILE}
    assert client.post(f"/ui/incidents/{ident}/type", data=form).status_code == 403  # no CSRF
    r = client.post(f"/ui/incidents/{ident}/type", data={**form, "csrf": csrf})
    assert r.status_code == 200
    assert HOSTILE not in r.text
    assert "&lt;img src=x" in r.text
    detail = client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()
    assert (detail["type"], detail["type_reason"]) == ("safety", HOSTILE)
    changed = [e for e in detail["timeline"] if e["kind"] == "type_changed"]
    assert changed
    assert changed[0]["actor"] == "respond"
    bad = client.post(
        f"/ui/incidents/{ident}/type", data={"type": "nope", "reason": "x", "csrf": csrf}
    )
    assert bad.status_code == 409
    assert "unknown type" in bad.text

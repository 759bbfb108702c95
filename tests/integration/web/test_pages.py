"""The web UI through HTTP: sign-in, CSRF, escaping and the security headers."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import Cast

HOSTILE = '<script>alert("x")</script>'


def sign_in(client: TestClient, token: str) -> str:
    r = client.post("/ui/login", data={"token": token, "next": "/ui"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/ui")
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match
    return match.group(1)


def test_it_redirects_a_stranger_to_sign_in(client: TestClient) -> None:
    r = client.get("/ui", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/login?next=/ui"


def test_it_refuses_an_unknown_token(client: TestClient, cast: Cast) -> None:
    r = client.post("/ui/login", data={"token": cast.revoked})
    assert r.status_code == 401
    assert "Unknown or revoked token" in r.text


def test_it_never_redirects_off_site_after_sign_in(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/ui/login", data={"token": cast.read, "next": "//evil.example/"}, follow_redirects=False
    )
    assert r.headers["location"] == "/ui"


def test_it_escapes_hostile_text(client: TestClient, cast: Cast) -> None:
    body = {"type": "safety", "title": HOSTILE, "use_case": HOSTILE}
    assert client.post("/v1/incidents", json=body, headers=cast.auth("respond")).status_code == 201
    sign_in(client, cast.read)
    page = client.get("/ui")
    assert HOSTILE not in page.text
    assert "&lt;script&gt;" in page.text


def test_it_sends_a_strict_csp(client: TestClient) -> None:
    r = client.get("/ui/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_it_rejects_a_form_without_the_csrf_token(client: TestClient, cast: Cast) -> None:
    sign_in(client, cast.read)
    r = client.post("/ui/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/ui", follow_redirects=False).status_code == 200


def test_it_signs_out_with_the_csrf_token(client: TestClient, cast: Cast) -> None:
    csrf = sign_in(client, cast.read)
    r = client.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_a_revoked_token_signs_the_browser_out(client: TestClient, cast: Cast, runtime) -> None:  # type: ignore[no-untyped-def]
    from tripwire.store.tokens import list_tokens, revoke

    sign_in(client, cast.respond)
    with runtime.db.session() as session:
        token_id = next(t.id for t in list_tokens(session) if t.name == "respond")
        revoke(session, token_id, runtime.clock.now())
    assert client.get("/ui", follow_redirects=False).status_code == 303

"""The gaps the hardening probe found, each closed: server-side UI sessions, login CSRF, the
PagerDuty routing_key scope, private webhook URLs in config, SSRF through NAT64 and 6to4."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.respond.receivers import http_receiver
from tests.serve_proc import clean_env
from tripwire.cli.main import app
from tripwire.notify import guard
from tripwire.notify.channel import DeliveryError
from tripwire.notify.guard import address_problem, check_url
from tripwire.notify.http import post
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import list_tokens, revoke
from tripwire.web.session import COOKIE


def sign_in(client: TestClient, token: str, **headers: str) -> Any:
    return client.post(
        "/ui/login", data={"token": token, "next": "/ui"}, headers=headers, follow_redirects=False
    )


def test_the_session_cookie_is_not_the_token_and_gives_no_api_access(
    client: TestClient, cast: Cast
) -> None:
    r = sign_in(client, cast.admin)
    assert r.status_code == 303
    cookie = r.cookies[COOKIE]
    assert cookie != cast.admin
    assert cast.admin not in cookie
    api = client.get("/v1/stats", headers={"Authorization": f"Bearer {cookie}"})
    assert api.status_code == 401
    assert client.get("/ui").status_code == 200


def test_signing_out_ends_the_session_on_the_server(client: TestClient, cast: Cast) -> None:
    cookie = sign_in(client, cast.read).cookies[COOKIE]
    page = client.get("/ui").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, cookie)  # a stolen copy of the cookie, replayed
    r = client.get("/ui", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/ui/login")


def test_revoking_the_token_ends_its_sessions(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    sign_in(client, cast.respond)
    assert client.get("/ui").status_code == 200
    with runtime.db.session() as session:
        [info] = [t for t in list_tokens(session) if t.name == "respond"]
        revoke(session, info.id, runtime.clock.now())
    assert client.get("/ui", follow_redirects=False).status_code == 303


def test_a_session_expires(runtime: Runtime, client: TestClient, cast: Cast) -> None:
    from datetime import timedelta

    sign_in(client, cast.read)
    runtime.clock.advance(timedelta(hours=12, seconds=1))  # type: ignore[attr-defined]
    assert client.get("/ui", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null", "sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "https://sub.testserver"},
    ],
)
def test_the_login_form_refuses_cross_site_posts(
    client: TestClient, cast: Cast, headers: dict[str, str]
) -> None:
    r = sign_in(client, cast.admin, **headers)
    assert r.status_code == 403
    assert COOKIE not in r.cookies


def test_the_login_form_accepts_its_own_page(client: TestClient, cast: Cast) -> None:
    r = sign_in(client, cast.read, origin="http://testserver", **{"sec-fetch-site": "same-origin"})
    assert r.status_code == 303


def test_a_routing_key_without_the_ingest_scope_is_a_403(client: TestClient, cast: Cast) -> None:
    body = {"routing_key": cast.read, "event_action": "trigger", "payload": {}}
    assert client.post("/v1/alerts/pagerduty", json=body).status_code == 403
    body["routing_key"] = "tw_unknown"
    assert client.post("/v1/alerts/pagerduty", json=body).status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
        "http://localhost:8080/hook",
        "http://169.254.169.254/latest",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0:8000/",
        # Legacy IPv4 spellings a resolver still reads as 127.0.0.1.
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
    ],
)
def test_config_validate_refuses_private_webhook_urls(tmp_path: Path, url: str) -> None:
    path = hook_config(tmp_path, url)
    env = clean_env(tmp_path / "tw.db")
    refused = CliRunner().invoke(app, ["config", "validate", "--config", str(path)], env=env)
    assert refused.exit_code == 2
    assert "respond.channels.hook.url" in refused.stderr
    env["TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS"] = "true"
    allowed = CliRunner().invoke(app, ["config", "validate", "--config", str(path)], env=env)
    assert allowed.exit_code == 0, allowed.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "9"], ["worker"]])
def test_a_private_webhook_url_stops_the_start(tmp_path: Path, command: list[str]) -> None:
    path = hook_config(tmp_path, "http://169.254.169.254/latest")
    env = clean_env(tmp_path / "tw.db")
    refused = CliRunner().invoke(app, [*command, "--config", str(path)], env=env)
    assert refused.exit_code == 2, refused.output
    assert "respond.channels.hook.url" in refused.stderr
    assert "169.254.169.254" in refused.stderr
    assert not (tmp_path / "tw.db").exists(), "refused before the database was opened"


def test_public_webhook_urls_pass_config_validate(tmp_path: Path) -> None:
    for url in ("https://hooks.example.com/x", "http://8.8.8.8/", "https://cafe.de/hook"):
        path = hook_config(tmp_path, url)
        env = clean_env(tmp_path / "tw.db")
        r = CliRunner().invoke(app, ["config", "validate", "--config", str(path)], env=env)
        assert r.exit_code == 0, (url, r.stderr)


def hook_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "tripwire.yaml"
    path.write_text(
        "respond:\n  channels:\n    hook:\n      type: webhook\n"
        f"      url: '{url}'\n      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("resolved", "inner"),
    [
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("64:ff9b:1::a00:1", "10.0.0.1"),
        ("2002:a9fe:a9fe::1", "169.254.169.254"),
        ("2002:c0a8:0101::", "192.168.1.1"),
    ],
)
def test_the_ssrf_guard_sees_ipv4_inside_nat64_and_6to4(
    monkeypatch: pytest.MonkeyPatch, resolved: str, inner: str
) -> None:
    def fake(*_: Any, **__: Any) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (resolved, 443, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(DeliveryError, match=inner.replace(".", r"\.")) as caught:
        check_url("https://hooks.example.com/x", allow_private=False)
    assert caught.value.permanent


def test_public_addresses_inside_nat64_and_6to4_still_pass() -> None:
    for address in ("64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111", "8.8.8.8"):
        assert address_problem(ipaddress.ip_address(address)) is None


def test_no_token_or_session_id_is_stored_in_clear(
    runtime: Runtime, client: TestClient, cast: Cast, db_url: str
) -> None:
    cookie = sign_in(client, cast.admin).cookies[COOKIE]
    assert client.get("/ui").status_code == 200
    runtime.db.dispose()  # checkpoint the WAL into the file
    stored = b"".join(
        path.read_bytes() for path in Path(db_url.split("///", 1)[1]).parent.glob("tripwire.db*")
    )
    for secret in (cast.admin, cast.ingest, cast.read, cookie):
        assert secret.encode() not in stored


def test_a_webhook_connects_to_the_address_the_guard_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name resolves to an allowed address for the check, then to a private
    one. The request must go to the checked address, with the name in `Host`."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "hooks.example.test":
            return real(host, port, *args, **kwargs)
        address = "127.0.0.1" if not lookups else "10.255.255.1"
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def only_loopback_is_public(address: Any) -> str | None:
        return None if str(address) == "127.0.0.1" else f"{address} is a non-public address"

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(guard, "address_problem", only_loopback_is_public)
    with http_receiver() as receiver:
        port = urlsplit(receiver.url).port
        url = f"http://hooks.example.test:{port}/hook"
        post(url, b"{}", {"content-type": "application/json"}, timeout=3, allow_private=False)
        # The next delivery looks the name up again, and is refused on what it finds now.
        with pytest.raises(DeliveryError, match=r"10\.255\.255\.1"):
            post(url, b"{}", {}, timeout=3, allow_private=False)
    assert [a["headers"]["Host"] for a in receiver.accepted] == [f"hooks.example.test:{port}"]
    assert lookups == ["127.0.0.1", "10.255.255.1"], "one lookup per delivery: the guard's"


def test_a_webhook_that_resolves_to_a_private_address_is_never_connected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def private(*_: Any, **__: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", private)
    with pytest.raises(DeliveryError, match=r"127\.0\.0\.1") as caught:
        post("https://hooks.example.test/x", b"{}", {}, timeout=3, allow_private=False)
    assert caught.value.permanent


def test_any_user_id_an_event_carries_can_be_deleted(client: TestClient, cast: Cast) -> None:
    """The fuzzer's find: a blank user id (here U+001D, which Python strips) was stored with
    its events, and refused by the deletion route."""
    from tests.events_data import valid

    event = valid("output", id="o-blank-user", user_id="\x1d")
    r = client.post("/v1/events", json={"events": [event]}, headers=cast.auth("ingest"))
    assert r.status_code == 202, r.text
    r = client.delete("/v1/users/%1D/data", headers=cast.auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["events_deleted"] == 1
    too_long = client.delete(f"/v1/users/{'u' * 257}/data", headers=cast.auth("admin"))
    assert too_long.status_code == 422
    # Exactly that user: " alice" is not alice (the id was once stripped before deleting).
    events = [valid("output", id=f"o-{n}", user_id=u) for n, u in enumerate([" alice", "alice"])]
    assert client.post("/v1/events", json={"events": events}, headers=cast.auth("ingest"))
    r = client.delete("/v1/users/%20alice/data", headers=cast.auth("admin"))
    assert r.json()["events_deleted"] == 1
    r = client.delete("/v1/users/alice/data", headers=cast.auth("admin"))
    assert r.json()["events_deleted"] == 1

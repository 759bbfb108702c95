"""Crafted input gets a 4xx that says what is wrong, never a 500; any unexpected error is one
JSON shape with a request id; a database that stays busy is a 503 with Retry-After."""

from __future__ import annotations

import base64
import json
import resource
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from tests.conftest import Cast
from tests.live import running
from tripwire.api.routes import health
from tripwire.runtime.wiring import Runtime

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000

# (method, path, who): every JSON body route, the 8 that once answered 500 first.
BODY_ROUTES = [
    ("POST", "/v1/alerts/alertmanager", "ingest"),
    ("POST", "/v1/alerts/pagerduty", None),  # before authentication: routing_key in the body
    ("PUT", "/v1/flags/checkout", "respond"),
    ("POST", "/v1/flags/checkout/kill", "respond"),
    ("POST", "/v1/rollbacks/rb-1/revert", "respond"),
    ("POST", "/ofrep/v1/evaluate/flags/checkout", "read"),
    ("POST", "/ofrep/v1/evaluate/flags", "read"),
    ("POST", "/v1/otlp/traces", "ingest"),
    ("POST", "/v1/events", "ingest"),
    ("POST", "/v1/incidents", "respond"),
    ("POST", "/v1/communications/lint", "read"),
    ("POST", "/v1/oncall/primary/overrides", "respond"),
]


@pytest.mark.parametrize(("method", "path", "who"), BODY_ROUTES)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deeply_nested_json_is_a_400(
    client: TestClient, cast: Cast, method: str, path: str, who: str | None, body: bytes
) -> None:
    headers = {"content-type": "application/json", **(cast.auth(who) if who else {})}
    r = client.request(method, path, content=body, headers=headers)
    assert r.status_code == 400, (path, r.status_code, r.text[:300])
    assert "nested" in r.json().get("error", "") or "nested" in r.text


def test_a_big_body_is_refused_while_it_streams(
    runtime: Runtime, client: TestClient, cast: Cast
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(200):  # 200 MiB
            yield b"x" * (1024 * 1024)
        yield b'"}'

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    headers = {**cast.auth("read"), "content-type": "application/json"}
    with running(runtime) as live:
        try:
            r = httpx.post(
                f"{live.url}/v1/communications/lint", content=chunks(), headers=headers, timeout=30
            )
            assert r.status_code == 413
            assert "larger than" in r.json()["error"]
        except httpx.TransportError:
            pass  # the server answered 413 and closed while the client was still sending
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 100, f"the server (this process) kept {grown_mb:.0f} MB of the body"
    declared = client.post(
        "/v1/communications/lint",
        content=b"{}",
        headers={**headers, "content-length": str(300 * 1024 * 1024)},
    )
    assert declared.status_code in (400, 413)


@pytest.mark.parametrize("token", ["é.é", "abc.ünïcode", "\u0660.\u0661", "x" * 5000 + ".y"])
def test_a_non_ascii_ack_link_is_a_400(client: TestClient, token: str) -> None:
    for method in ("GET", "POST"):
        r = client.request(method, f"/ack/{token}")
        assert r.status_code == 400, (method, r.status_code)
        assert "not valid" in r.text


def test_a_non_ascii_csrf_token_is_a_403(client: TestClient, cast: Cast) -> None:
    assert client.post("/ui/login", data={"token": cast.read}).status_code == 200
    r = client.post("/ui/logout", data={"csrf": "é" * 64}, follow_redirects=False)
    assert r.status_code == 403
    latin = "\u00e9".encode("latin-1")  # a header's raw bytes, as a hostile client sends them
    r = client.post("/ui/logout", headers={"x-csrf-token": latin * 64}, follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-20T09:00:00Z|" + "9" * 100,
        "2026-11-20T09:00:00Z|" + "9" * 5000,
        "2026-11-20T09:00:00Z|-1",
        "9999-12-31T23:59:59Z|1",
        "\udcff",
    ],
)
def test_a_crafted_cursor_is_a_422(client: TestClient, cast: Cast, raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode()
    r = client.get("/v1/incidents", params={"cursor": cursor}, headers=cast.auth("read"))
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert "cursor" in r.json()["error"]


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59"]
)
def test_on_call_at_the_ends_of_the_calendar_is_a_422(
    client: TestClient, cast: Cast, at: str
) -> None:
    r = client.get("/v1/oncall", params={"at": at}, headers=cast.auth("read"))
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("at: ")


def test_an_unexpected_error_is_json_with_a_request_id(
    client: TestClient,
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_: object) -> dict[str, int]:
        raise KeyError("a bug")

    monkeypatch.setattr(health, "counts_by_type", broken)
    r = client.get("/v1/stats", headers=cast.auth("read"))
    assert r.status_code == 500
    body = r.json()
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["request_id"] in body["error"]
    assert "a bug" not in r.text, "no internals leak to the client"
    assert any(body["request_id"] in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_a_database_that_stays_locked_is_a_503_to_retry(
    client: TestClient, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(_: object) -> dict[str, int]:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(health, "counts_by_type", locked)
    r = client.get("/v1/stats", headers=cast.auth("read"))
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert "retry" in r.json()["error"]
    assert "request_id" in r.json()


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_nan_in_an_ofrep_context_is_a_400(client: TestClient, cast: Cast) -> None:
    r = client.post(
        "/ofrep/v1/evaluate/flags",
        content=b'{"context": {"x": NaN}}',
        headers={**cast.auth("read"), "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert json.loads(r.text)["errorCode"] == "PARSE_ERROR"

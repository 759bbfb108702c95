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
from tests.integration.hardening.routes import (
    ONCE_500,
    body_limit,
    filled,
    json_body_routes,
    page_writes,
)
from tests.live import running
from tripwire.api.limits import MAX_BODY_BYTES
from tripwire.api.routes import health
from tripwire.runtime.wiring import Runtime

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
BODY_ROUTES = json_body_routes()
# Not data, though Python's json module reads all of it: non-finite numbers, a float that
# overflows, a lone surrogate escaped and as raw bytes.
NOT_DATA = {
    "NaN": b'{"x": NaN}',
    "Infinity": b'{"x": [1, -Infinity]}',
    "overflow": b'{"x": {"y": 1e999}}',
    "surrogate": b'{"x": "a\\ud800b"}',
    "surrogate-key": b'{"\\udfff": 1}',
    "surrogate-bytes": b'{"x": "\xed\xa0\x80"}',
}


def who(path: str, cast: Cast) -> dict[str, str]:
    # PagerDuty's body is read before authentication (the routing_key is in it).
    return {} if path == "/v1/alerts/pagerduty" else cast.auth("admin")


def test_every_body_route_of_the_issue_is_walked() -> None:
    assert set(BODY_ROUTES) >= ONCE_500
    assert len(BODY_ROUTES) >= 30


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_deeply_nested_json_is_a_400(
    client: TestClient, cast: Cast, method: str, path: str
) -> None:
    headers = {"content-type": "application/json", **who(path, cast)}
    for body in (DEEP, DEEP_OBJECT):
        r = client.request(method, filled(path), content=body, headers=headers)
        assert r.status_code == 400, (path, r.status_code, r.text[:300])
        assert "nested" in r.text


@pytest.mark.parametrize(("method", "path"), [r for r in BODY_ROUTES if r[1] != "/v1/events"])
def test_what_is_not_data_is_a_400(client: TestClient, cast: Cast, method: str, path: str) -> None:
    # /v1/events names the bad event and field instead: test_hostile_events.py.
    headers = {"content-type": "application/json", **who(path, cast)}
    for name, body in NOT_DATA.items():
        r = client.request(method, filled(path), content=body, headers=headers)
        assert r.status_code == 400, (path, name, r.status_code, r.text[:300])
        assert "not valid JSON" in r.text, (name, r.text[:300])


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_body_over_the_limit_is_refused_on_every_route(
    runtime: Runtime, client: TestClient, cast: Cast, method: str, path: str
) -> None:
    limit = body_limit(path, runtime.settings.max_body_bytes)

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it early
        yield b'{"text": "'
        for _ in range(limit // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    headers = {"content-type": "application/json", **who(path, cast)}
    r = client.request(method, filled(path), content=chunks(), headers=headers)
    # OFREP answers in its own shape: 400 PARSE_ERROR.
    assert r.status_code in ((400,) if path.startswith("/ofrep/") else (413,)), r.status_code
    assert "larger than" in r.text, r.text[:300]


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


@pytest.mark.parametrize("token", ["é.é", "abc.ünïcode", "\u0660.\u0661", "%ED%B3%BF", "x" * 199])
def test_a_non_ascii_subscriber_link_is_refused(client: TestClient, token: str) -> None:
    # Sent as written: "%ED%B3%BF" is a lone surrogate's bytes, percent-encoded.
    confirm = client.get(f"/status/subscribers/confirm?token={token}")
    assert confirm.status_code == 404, confirm.status_code
    r = client.post(
        "/status/subscribers/unsubscribe",
        content=f"token={token}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= r.status_code < 500, r.status_code


@pytest.mark.parametrize("path", page_writes())
def test_a_non_ascii_csrf_token_is_a_403(client: TestClient, cast: Cast, path: str) -> None:
    assert client.post("/ui/login", data={"token": cast.admin}).status_code == 200
    r = client.post(path, data={"csrf": "é" * 64}, follow_redirects=False)
    assert r.status_code == 403, (path, r.status_code)
    latin = "\u00e9".encode("latin-1")  # a header's raw bytes, as a hostile client sends them
    r = client.post(path, headers={"x-csrf-token": latin * 64}, follow_redirects=False)
    assert r.status_code == 403, (path, r.status_code)


HUGE_CURSORS = [
    "2026-11-20T09:00:00Z|" + "9" * 100,
    "2026-11-20T09:00:00Z|" + "9" * 5000,
    "2026-11-20T09:00:00Z|99999999999999999999",  # just past a 64-bit integer
    "2026-11-20T09:00:00Z|-1",
    "9999-12-31T23:59:59-23:59|1",
    "\udcff",
]


@pytest.mark.parametrize("path", ["/v1/incidents", "/v1/outputs"])
@pytest.mark.parametrize("raw", HUGE_CURSORS)
def test_a_crafted_cursor_is_a_422(client: TestClient, cast: Cast, path: str, raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode()
    r = client.get(path, params={"cursor": cursor}, headers=cast.auth("read"))
    assert r.status_code == 422, r.text
    assert "cursor" in r.json()["error"]


@pytest.mark.parametrize("path", ["/ui/outputs", "/ui/incidents"])
@pytest.mark.parametrize("seq", ["9" * 100, "99999999999999999999", "-1", "x"])
def test_a_crafted_page_cursor_starts_from_the_newest(
    client: TestClient, cast: Cast, path: str, seq: str
) -> None:
    assert client.post("/ui/login", data={"token": cast.read}).status_code == 200
    r = client.get(path, params={"before": f"2026-11-20T09:00:00Z~{seq}"})
    assert r.status_code == 200, (path, r.status_code)


CALENDAR_ENDS = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-23:59"]


@pytest.mark.parametrize("at", CALENDAR_ENDS)
def test_on_call_at_the_ends_of_the_calendar_is_a_422(api: TestClient, crew: Cast, at: str) -> None:
    r = api.get("/v1/oncall", params={"at": at}, headers=crew.auth("read"))
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith("at: ")
    for window in ({"from": at}, {"to": at}, {"from": "0001-01-01T00:00:00Z", "to": at}):
        r = api.get("/v1/oncall/primary", params=window, headers=crew.auth("read"))
        assert r.status_code == 422, (window, r.text)
    body = {"person": "bob", "start": at, "end": "9999-12-31T23:59:59Z"}
    r = api.post("/v1/oncall/primary/overrides", json=body, headers=crew.auth("respond"))
    assert r.status_code == 422, r.text
    assert api.post("/ui/login", data={"token": crew.read}).status_code == 200
    assert api.get("/ui/oncall", params={"at": at}).status_code in (200, 422)


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


@pytest.mark.parametrize("path", ["/ui/login", "/status/subscribe", *page_writes()])
def test_a_form_over_the_limit_is_a_413(client: TestClient, path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"csrf=x&text="
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536

    headers = {"content-type": "application/x-www-form-urlencoded"}
    r = client.post(path, content=chunks(), headers=headers, follow_redirects=False)
    assert r.status_code == 413, (path, r.status_code)


def test_a_json_body_sent_as_a_form_is_told_to_say_application_json(
    client: TestClient, cast: Cast
) -> None:
    """`curl -d '{...}'` without -H sends application/x-www-form-urlencoded."""
    body = '{"type": "safety", "title": "jailbreak spreading"}'
    form = {"content-type": "application/x-www-form-urlencoded", **cast.auth("respond")}
    response = client.post("/v1/incidents", content=body, headers=form)
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["error"]
    as_json = {"content-type": "application/json", **cast.auth("respond")}
    bad = client.post("/v1/incidents", content='{"title": 1}', headers=as_json)
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid request"


def test_only_a_body_fastapi_did_not_read_as_json_is_told_its_content_type(
    client: TestClient, cast: Cast
) -> None:
    # FastAPI reads a body as JSON for application/json or */*+json, the type's case aside: a
    # JSON array sent so is read and wrong in shape; a text/json body is not read at all.
    auth = cast.auth("respond")
    upper = {"content-type": "Application/JSON", **auth}
    read = client.post("/v1/incidents", content="[1]", headers=upper)
    assert read.status_code == 422
    assert read.json()["error"] == "invalid request"
    text = {"content-type": "text/json", **auth}
    body = '{"type": "safety", "title": "jailbreak spreading"}'
    unread = client.post("/v1/incidents", content=body, headers=text)
    assert unread.status_code == 422
    assert "Content-Type: application/json" in unread.json()["error"]

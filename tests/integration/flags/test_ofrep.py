"""OFREP over raw HTTP per the spec, and through the real OpenFeature SDK + OFREP provider."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from openfeature import api as openfeature
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from tests.conftest import Cast
from tripwire.api.app import create_app
from tripwire.runtime.wiring import Runtime


def make_flags(client: TestClient, cast: Cast) -> None:
    for key, body in {
        "chat.enabled": {"value": True, "use_case": "support-chat"},
        "chat.prompt": {"value": "v14", "variants": ["v13", "v14"], "default": "v13"},
    }.items():
        assert client.put(f"/v1/flags/{key}", json=body, headers=cast.auth("admin")).is_success


def test_single_evaluation_answers_per_the_spec(client: TestClient, cast: Cast) -> None:
    make_flags(client, cast)
    r = client.post(
        "/ofrep/v1/evaluate/flags/chat.prompt",
        json={"context": {"targetingKey": "user-1"}},
        headers={"X-API-Key": cast.ingest},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["key"], body["value"], body["reason"], body["variant"]) == (
        "chat.prompt",
        "v14",
        "STATIC",
        "v14",
    )
    assert body["metadata"]["version"] == 1


def test_unknown_flags_and_bad_contexts_get_spec_error_bodies(
    client: TestClient, cast: Cast
) -> None:
    r = client.post("/ofrep/v1/evaluate/flags/nope", json={}, headers=cast.auth("read"))
    assert r.status_code == 404
    assert r.json()["key"] == "nope"
    assert r.json()["errorCode"] == "FLAG_NOT_FOUND"
    assert "errorDetails" in r.json()
    make_flags(client, cast)
    r = client.post(
        "/ofrep/v1/evaluate/flags/chat.enabled", json={"context": 7}, headers=cast.auth("read")
    )
    assert (r.status_code, r.json()["errorCode"]) == (400, "INVALID_CONTEXT")
    r = client.post(
        "/ofrep/v1/evaluate/flags/chat.enabled", content=b"{nope", headers=cast.auth("read")
    )
    assert (r.status_code, r.json()["errorCode"], r.json()["key"]) == (
        400,
        "PARSE_ERROR",
        "chat.enabled",
    )
    r = client.post("/ofrep/v1/evaluate/flags", content=b"[", headers=cast.auth("read"))
    assert r.status_code == 400
    assert r.json()["errorCode"] == "PARSE_ERROR"
    assert client.post("/ofrep/v1/evaluate/flags/chat.enabled", json={}).status_code == 401


def test_bulk_evaluation_uses_etags(client: TestClient, cast: Cast) -> None:
    make_flags(client, cast)
    r = client.post("/ofrep/v1/evaluate/flags", json={"context": {}}, headers=cast.auth("read"))
    assert r.status_code == 200
    assert {f["key"]: f["value"] for f in r.json()["flags"]} == {
        "chat.enabled": True,
        "chat.prompt": "v14",
    }
    etag = r.headers["etag"]
    headers = {**cast.auth("read"), "If-None-Match": etag}
    assert client.post("/ofrep/v1/evaluate/flags", json={}, headers=headers).status_code == 304
    client.post("/v1/flags/chat.enabled/kill", json={"reason": "r"}, headers=cast.auth("respond"))
    r = client.post("/ofrep/v1/evaluate/flags", json={}, headers=headers)
    assert r.status_code == 200
    assert r.headers["etag"] != etag


def test_configuration_advertises_polling_and_types(client: TestClient, cast: Cast) -> None:
    r = client.get("/ofrep/v1/configuration", headers=cast.auth("read"))
    caps = r.json()["capabilities"]
    assert caps["cacheInvalidation"]["polling"]["enabled"] is True
    assert caps["cacheInvalidation"]["polling"]["minPollingIntervalMs"] >= 100
    assert set(caps["flagEvaluation"]["supportedTypes"]) == {"boolean", "string"}


@pytest.fixture
def live_url(runtime: Runtime) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(runtime, background=False), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_the_openfeature_sdk_reads_kill_switches_over_ofrep(
    client: TestClient, cast: Cast, live_url: str
) -> None:
    make_flags(client, cast)
    provider = OFREPProvider(live_url, headers_factory=lambda: {"X-API-Key": cast.ingest})
    openfeature.set_provider(provider, domain="tripwire-test")
    try:
        of = openfeature.get_client(domain="tripwire-test")
        ctx = EvaluationContext(targeting_key="user-1", attributes={"plan": "pro"})
        assert of.get_boolean_value("chat.enabled", False, ctx) is True
        details = of.get_string_details("chat.prompt", "v13", ctx)
        assert (details.value, details.reason, details.variant) == ("v14", Reason.STATIC, "v14")
        client.post(
            "/v1/flags/chat.enabled/kill", json={"reason": "r"}, headers=cast.auth("respond")
        )
        assert of.get_boolean_value("chat.enabled", True, ctx) is False
        missing = of.get_boolean_details("nope", True)
        assert (missing.value, missing.error_code) == (True, ErrorCode.FLAG_NOT_FOUND)
        mismatch = of.get_boolean_details("chat.prompt", True)
        assert (mismatch.value, mismatch.error_code) == (True, ErrorCode.TYPE_MISMATCH)
    finally:
        openfeature.clear_providers()

"""kill -9 between a span and its content loses neither: both sides of the GenAI content join
are durable once acknowledged, whichever came first."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.otlp_build import BARE_CHAT, chat_logs, key, logs_request, request, scoped, span
from tests.serve_proc import Serve, clean_env

TOKEN = "tw_join-crash-test-token-0123456789"
PROTOBUF = {"Content-Type": "application/x-protobuf", "Authorization": f"Bearer {TOKEN}"}


def post(server: Serve, path: str, body: bytes) -> None:
    r = httpx.post(f"{server.url}{path}", content=body, headers=PROTOBUF, timeout=30)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("first", ["span", "logs"])
def test_sigkill_between_a_span_and_its_content_loses_nothing(tmp_path: Path, first: str) -> None:
    env = clean_env(tmp_path / "join.db", TRIPWIRE_ADMIN_TOKEN=TOKEN)
    span_body = scoped(request(span(1, BARE_CHAT))).SerializeToString()
    logs_body = logs_request(*chat_logs(1)).SerializeToString()
    sides = [("/v1/otlp/traces", span_body), ("/v1/otlp/logs", logs_body)]
    if first == "logs":
        sides.reverse()
    server = Serve(env)
    try:
        post(server, *sides[0])
    finally:
        server.kill()  # SIGKILL: no shutdown handler runs
        server.stop()  # only reaps the process and closes its pipes
    server = Serve(env)
    try:
        post(server, *sides[1])
        r = httpx.get(
            f"{server.url}/v1/outputs", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        [output] = r.json()["outputs"]
    finally:
        server.stop()
    assert output["id"] == key(1)
    assert output["output"] == "30 days."
    assert output["input"].endswith("What is the refund window?")

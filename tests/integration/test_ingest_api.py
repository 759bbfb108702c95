"""POST /v1/events over HTTP: all or nothing, idempotency, limits and back-pressure."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Cast
from tests.events_data import VALID, valid
from tests.live import live_server
from tripwire.domain.events import EVENT_TYPES
from tripwire.runtime.wiring import Runtime
from tripwire.store.db import Database
from tripwire.store.events import counts_by_type, iter_by_time


def metric(i: int) -> dict[str, Any]:
    return {
        "id": f"m{i}",
        "type": "metric",
        "ts": "2026-11-20T09:00:00Z",
        "use_case": "u",
        "name": "n",
        "value": i,
    }


def send(client: TestClient, cast: Cast, events: list[Any], **kwargs: Any) -> httpx.Response:
    return client.post("/v1/events", json={"events": events}, headers=cast.auth("ingest"), **kwargs)


def stored_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        return counts_by_type(session)


def test_a_batch_of_every_type_is_stored_and_counted(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    r = send(client, cast, [valid(k) for k in EVENT_TYPES])
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 7, "duplicates": 0}
    stats = client.get("/v1/stats", headers=cast.auth("read")).json()
    assert stats["events"] == dict.fromkeys(EVENT_TYPES, 1)


def test_acknowledged_events_are_visible_to_another_connection(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    assert send(client, cast, [metric(1), metric(2)]).status_code == 202
    other = Database(runtime.db.url)
    try:
        with other.session() as session:
            assert [e.id for e in iter_by_time(session)] == ["m1", "m2"]
    finally:
        other.dispose()


def test_one_bad_event_refuses_the_whole_batch_and_names_it(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    events = [metric(0), valid("score", value=2), metric(2), {"type": "output", "id": "o"}]
    r = send(client, cast, events)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "2 invalid event(s); nothing from this batch was stored"
    named = {(e["index"], e["id"], e["field"]) for e in body["invalid"]}
    assert (1, VALID["score"]["id"], "value") in named
    assert (3, "o", "model") in named
    assert {e["index"] for e in body["invalid"]} == {1, 3}
    assert stored_counts(runtime) == {}


def test_a_duplicate_inside_a_batch_is_stored_once(client: TestClient, cast: Cast) -> None:
    r = send(client, cast, [metric(1), metric(1), metric(2)])
    assert r.json() == {"accepted": 2, "duplicates": 1}


def test_a_resent_batch_is_all_duplicates_and_the_first_copy_wins(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    assert send(client, cast, [metric(1), metric(2)]).json() == {"accepted": 2, "duplicates": 0}
    changed = {**metric(1), "value": 99}
    assert send(client, cast, [changed, metric(2)]).json() == {"accepted": 0, "duplicates": 2}
    with runtime.db.session() as session:
        values = {e.id: e.payload["value"] for e in iter_by_time(session)}
    assert values == {"m1": 1.0, "m2": 2.0}


@pytest.fixture
def url(runtime: Runtime) -> Iterator[str]:
    with live_server(runtime) as base:
        yield base


def test_concurrent_batches_with_the_same_ids_store_each_event_once(
    runtime: Runtime, cast: Cast, url: str
) -> None:
    body = json.dumps({"events": [metric(i) for i in range(300)]})
    barrier = threading.Barrier(6)
    results: list[dict[str, int]] = []

    def post() -> None:
        barrier.wait()
        r = httpx.post(f"{url}/v1/events", content=body, headers=cast.auth("ingest"), timeout=60)
        assert r.status_code == 202, r.text
        results.append(r.json())

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    assert sum(r["accepted"] for r in results) == 300
    assert all(r["accepted"] + r["duplicates"] == 300 for r in results)
    assert stored_counts(runtime) == {"metric": 300}


def test_ten_thousand_events_are_accepted_and_one_more_is_413(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    events = [metric(i) for i in range(10_001)]
    r = send(client, cast, events)
    assert r.status_code == 413
    assert "at most 10000" in r.json()["error"]
    assert stored_counts(runtime) == {}
    r = send(client, cast, events[:10_000])
    assert r.json() == {"accepted": 10_000, "duplicates": 0}


def test_a_declared_body_over_ten_mib_is_refused_before_reading(
    client: TestClient, cast: Cast
) -> None:
    body = b'{"events": [' + b" " * (10 * 1024 * 1024) + b"]}"
    r = client.post("/v1/events", content=body, headers=cast.auth("ingest"))
    assert r.status_code == 413
    assert "larger than 10485760 bytes" in r.json()["error"]


def chunks(total: int, size: int = 16_384) -> Iterator[bytes]:
    yield b'{"events": ['
    sent = 0
    while sent < total:
        yield b" " * size
        sent += size
    yield b"]}"


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
    runtime: Runtime, cast: Cast, url: str
) -> None:
    runtime.settings.max_body_bytes = 100_000
    headers = cast.auth("ingest")
    r = httpx.post(f"{url}/v1/events", content=chunks(300_000), headers=headers, timeout=30)
    assert r.status_code == 413
    assert "larger than 100000 bytes" in r.json()["error"]
    small = httpx.post(f"{url}/v1/events", content=chunks(50_000), headers=headers, timeout=30)
    assert small.json() == {"accepted": 0, "duplicates": 0}


def test_a_gzip_bomb_is_stopped_at_the_limit(client: TestClient, cast: Cast) -> None:
    inflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    bomb = inflater.compress(b'{"events": [')
    for _ in range(256):  # 256 MiB once inflated, about 250 KiB on the wire
        bomb += inflater.compress(block)
    bomb += inflater.compress(b"]}") + inflater.flush()
    assert len(bomb) < 1_000_000
    headers = {**cast.auth("ingest"), "Content-Encoding": "gzip"}
    r = client.post("/v1/events", content=bomb, headers=headers)
    assert r.status_code == 413


def test_gzip_and_deflate_bodies_are_accepted(client: TestClient, cast: Cast) -> None:
    raw = json.dumps({"events": [metric(1)]}).encode()
    for encoding, body in (("gzip", gzip.compress(raw)), ("deflate", zlib.compress(raw))):
        headers = {**cast.auth("ingest"), "Content-Encoding": encoding}
        r = client.post("/v1/events", content=body, headers=headers)
        assert r.status_code == 202, (encoding, r.text)


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"{not json", {}, 400, "not valid JSON"),
        (b'{"event": []}', {}, 422, 'body must be {"events": [EVENT, ...]}'),
        (b"\x1f\x8b garbage", {"Content-Encoding": "gzip"}, 400, "not valid gzip"),
        (b"{}", {"Content-Encoding": "br"}, 415, "use gzip, deflate or none"),
    ],
)
def test_bad_bodies_get_a_json_error(
    client: TestClient, cast: Cast, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    r = client.post("/v1/events", content=body, headers={**cast.auth("ingest"), **headers})
    assert r.status_code == status
    assert message in r.json()["error"]


def test_a_field_over_its_limit_is_named(client: TestClient, cast: Cast) -> None:
    r = send(client, cast, [{**metric(1), "id": "x" * 129}])
    assert r.status_code == 422
    (problem,) = r.json()["invalid"]
    assert (problem["index"], problem["field"]) == (0, "id")
    assert "at most 128 characters" in problem["message"]


def test_a_saturated_server_answers_429_with_retry_after(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    with ExitStack() as stack:
        for _ in range(runtime.admission.limit):
            stack.enter_context(runtime.admission.slot())
        r = send(client, cast, [metric(1)])
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "1"
        assert "retry later" in r.json()["error"]
    assert stored_counts(runtime) == {}
    assert send(client, cast, [metric(1)]).status_code == 202

"""Delivery semantics against a scripted ingest server: retries, backoff, Retry-After, 422,
the queue bound, flush and close."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sdk.servers import FakeIngest, Reply, serve_fake
from tripwire import Client


@pytest.fixture
def ingest() -> Iterator[FakeIngest]:
    fake = FakeIngest()
    with serve_fake(ingest=fake):
        yield fake
    fake.gate.set()


def fast_client(url: str, **options: Any) -> Client:
    settings: dict[str, Any] = {
        "backoff_base": 0.05,
        "backoff_cap": 0.2,
        "flush_interval": 0.05,
        "flush_at_exit": False,
    }
    return Client(url, "tok", **{**settings, **options})


def error(status: int, headers: dict[str, str] | None = None, store: bool = False) -> Any:
    def reply(_: list[dict[str, Any]]) -> Reply:
        body: dict[str, Any] = {"error": "scripted", "_store": store}
        return status, headers or {}, body

    return reply


def wait_for(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def log_metrics(client: Client, n: int, prefix: str = "m") -> list[str]:
    return [client.metric("chat", "x", float(i), id=f"{prefix}{i}") for i in range(n)]


def test_it_retries_5xx_until_the_server_recovers(ingest: FakeIngest) -> None:
    ingest.script = deque([error(500), error(502), error(503, store=True), error(500)])
    client = fast_client(ingest.url)
    ids = log_metrics(client, 50)
    assert client.flush(20)
    assert sorted(ingest.stored) == sorted(ids)
    assert [r.status for r in ingest.requests] == [500, 502, 503, 500, 202]
    stats = client.stats
    assert (stats.sent, stats.retried, stats.dropped, stats.failed) == (50, 4, 0, 0)
    assert stats.duplicates == 50  # the 503 had stored them: the server dedupes by id
    client.close()


def test_it_backs_off_exponentially_with_jitter(ingest: FakeIngest) -> None:
    ingest.script = deque([error(500)] * 5)
    client = fast_client(ingest.url, backoff_base=0.1, backoff_cap=10.0)
    log_metrics(client, 1)
    assert client.flush(30)
    gaps = [b.at - a.at for a, b in zip(ingest.requests, ingest.requests[1:], strict=False)]
    assert len(gaps) == 5
    for attempt, gap in enumerate(gaps):
        assert gap <= 0.1 * 2**attempt + 0.4  # full jitter: uniform in [0, base * 2**attempt]
    assert sum(gaps) > 0.1  # it did wait
    client.close()


def test_it_honours_retry_after_on_429(ingest: FakeIngest) -> None:
    ingest.script = deque([error(429, {"Retry-After": "1"})])
    client = fast_client(ingest.url)
    log_metrics(client, 3)
    assert client.flush(20)
    first, second = ingest.requests
    assert (first.status, second.status) == (429, 202)
    assert second.at - first.at >= 0.95
    assert client.stats.sent == 3
    client.close()


def test_it_retries_a_request_that_timed_out(ingest: FakeIngest) -> None:
    def slow(events: list[dict[str, Any]]) -> Reply:
        time.sleep(1.0)  # past the client's timeout, yet stored: the retry is a duplicate
        return 202, {}, {"accepted": len(events), "duplicates": 0}

    ingest.script = deque([slow])
    client = fast_client(ingest.url, timeout=0.3)
    ids = log_metrics(client, 10)
    assert client.flush(20)
    assert sorted(ingest.stored) == sorted(ids)
    assert client.stats.retried >= 1
    assert client.stats.sent == 10
    client.close()


def test_it_drops_only_the_events_a_422_names_and_resends_the_rest(
    ingest: FakeIngest, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(events: list[dict[str, Any]]) -> Reply:
        bad = [{"index": 2, "id": events[2]["id"], "field": "value", "message": "no"}]
        return 422, {}, {"error": "1 invalid event(s)", "invalid": bad}

    ingest.script = deque([refuse])
    client = fast_client(ingest.url)
    ids = log_metrics(client, 5)
    assert client.flush(20)
    assert sorted(ingest.stored) == sorted(ids[:2] + ids[3:])
    stats = client.stats
    assert (stats.sent, stats.dropped, stats.retried) == (4, 1, 0)
    assert "m2" in caplog.text
    assert "value: no" in caplog.text
    client.close()


def test_a_422_it_cannot_read_drops_the_batch_without_retrying(ingest: FakeIngest) -> None:
    ingest.script = deque([error(422)])
    client = fast_client(ingest.url)
    log_metrics(client, 5)
    assert client.flush(20)
    assert len(ingest.requests) == 1
    assert (client.stats.dropped, client.stats.sent) == (5, 0)
    client.close()


def test_it_fails_without_retrying_when_the_token_is_refused(ingest: FakeIngest) -> None:
    ingest.script = deque([error(401)])
    client = fast_client(ingest.url)
    log_metrics(client, 5)
    assert client.flush(20)
    assert len(ingest.requests) == 1
    assert (client.stats.failed, client.stats.retried) == (5, 0)
    client.close()


def test_it_gives_up_after_max_retries(ingest: FakeIngest) -> None:
    ingest.script = deque([error(500)] * 10)
    client = fast_client(ingest.url, max_retries=3)
    log_metrics(client, 5)
    assert client.flush(20)
    assert len(ingest.requests) == 4
    assert (client.stats.failed, client.stats.retried, client.stats.sent) == (5, 3, 0)
    client.close()


def test_it_splits_a_batch_the_server_finds_too_large(ingest: FakeIngest) -> None:
    ingest.script = deque([error(413)])
    client = fast_client(ingest.url)
    ids = log_metrics(client, 10)
    assert client.flush(20)
    assert [len(r.events) for r in ingest.requests] == [10, 5, 5]
    assert sorted(ingest.stored) == sorted(ids)
    client.close()


def test_batches_stay_within_1000_events_and_the_byte_limit(ingest: FakeIngest) -> None:
    client = fast_client(ingest.url, flush_interval=60)
    log_metrics(client, 2500)
    text = "x" * 50_000
    big = [client.log_output("chat", "m", text, text, id=f"big{i}") for i in range(30)]
    assert client.flush(30)
    assert max(len(r.events) for r in ingest.requests) == 1000
    assert len(ingest.stored) == 2530
    assert set(big) <= set(ingest.stored)
    client.close()
    small = fast_client(ingest.url, max_batch_bytes=300_000)
    for i in range(30):
        small.log_output("chat", "m", text, text, id=f"small{i}")
    assert small.flush(30)
    sizes = [r.size for r in ingest.requests[-30:] if r.events[0]["id"].startswith("small")]
    assert sizes
    assert max(sizes) < 300_000
    small.close()


def test_a_full_batch_leaves_at_once_and_a_partial_one_after_the_interval(
    ingest: FakeIngest,
) -> None:
    client = fast_client(ingest.url, batch_size=100, flush_interval=3.0)
    started = time.monotonic()
    log_metrics(client, 100, "full")
    wait_for(lambda: len(ingest.stored) == 100, 2.5)
    assert time.monotonic() - started < 2.5  # the size trigger, before the interval
    started = time.monotonic()
    log_metrics(client, 3, "partial")
    time.sleep(1.0)
    assert len(ingest.stored) == 100
    wait_for(lambda: len(ingest.stored) == 103, 6.0)
    assert time.monotonic() - started >= 2.9  # the interval trigger
    client.close()


def test_a_full_queue_drops_and_counts_without_blocking(ingest: FakeIngest) -> None:
    ingest.gate.clear()  # the server hangs
    client = fast_client(ingest.url, max_queue=20, batch_size=5, timeout=30)
    log_metrics(client, 5, "first")
    wait_for(lambda: client.stats.queued == 0, 5.0)  # the first batch is in flight, stuck
    started = time.perf_counter()
    log_metrics(client, 100, "more")
    elapsed = time.perf_counter() - started
    stats = client.stats
    assert elapsed < 0.5  # never blocks the caller
    assert (stats.enqueued, stats.dropped, stats.queued) == (25, 80, 20)
    assert not client.flush(0.2)  # times out while the server hangs
    ingest.gate.set()
    assert client.flush(20)
    assert len(ingest.stored) == 25
    assert client.stats.sent == 25
    client.close()


def test_close_gives_up_at_its_deadline_and_counts_the_rest(ingest: FakeIngest) -> None:
    ingest.script = deque([error(503)] * 1000)
    client = fast_client(ingest.url, batch_size=10, backoff_base=0.5, backoff_cap=2.0)
    log_metrics(client, 30)
    started = time.monotonic()
    assert not client.close(timeout=1.0)
    assert time.monotonic() - started < 3.0
    stats = client.stats
    assert stats.sent == 0
    assert stats.dropped + stats.failed == 30
    client.metric("chat", "late", 1.0)
    assert client.stats.dropped + client.stats.failed == 31


def test_flush_and_close_deliver_everything(ingest: FakeIngest) -> None:
    client = fast_client(ingest.url, flush_interval=60, batch_size=1000)
    ids = log_metrics(client, 10)
    assert client.close(timeout=10)
    assert sorted(ingest.stored) == sorted(ids)
    assert client.close()  # closing twice is harmless

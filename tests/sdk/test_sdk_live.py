"""The SDK against a real Tripwire server: every event type lands, once."""

from __future__ import annotations

import re

import httpx

from tests.sdk.conftest import Live
from tests.sdk.servers import FlakyProxy, serve_proxy
from tripwire import Client

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def stored(live: Live) -> dict[str, int]:
    r = httpx.get(live.url + "/v1/stats", headers=live.cast.auth("read"))
    assert r.status_code == 200, r.text
    counts: dict[str, int] = r.json()["events"]
    return counts


def log_every_type(client: Client) -> list[str]:
    out = client.log_output(
        "support-chat",
        "gpt-x",
        "What is the refund window?",
        "30 days.",
        model_version="2026-11",
        prompt_version="v14",
        user_id="u1",
        session_id="s1",
        context=["Refunds: 30 days."],
        latency_ms=412.5,
        scores={"quality": 0.9},
        attributes={"route": "faq", "tokens": 12},
    )
    return [
        out,
        client.feedback("support-chat", "down", output_id=out, comment="wrong"),
        client.feedback("support-chat", 2, output_id=out),
        client.safety_check("support-chat", "toxicity", True, output_id=out, category="hate"),
        client.ticket("support-chat", "The bot said 90 days", subject="refund", channel="email"),
        client.change(
            "prompt_change",
            "v14",
            use_case="support-chat",
            previous_version="v13",
            rollback={"flag": "support-prompt", "variant": "v13"},
        ),
        client.change("infra_change", "k8s-1.31"),
        client.score("support-chat", out, "groundedness", 0.7, source="ragas"),
        client.metric("support-chat", "cost_usd", 0.0031, labels={"model": "gpt-x"}),
    ]


def test_it_delivers_every_event_type_to_a_real_server(live: Live) -> None:
    client = Client(live.url, live.cast.ingest, flush_at_exit=False)
    ids = log_every_type(client)
    assert client.flush(10)
    assert all(UUID7.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert stored(live) == {
        "output": 1,
        "feedback": 2,
        "safety": 1,
        "ticket": 1,
        "change": 2,
        "score": 1,
        "metric": 1,
    }
    stats = client.stats
    assert (stats.sent, stats.dropped, stats.failed, stats.queued) == (9, 0, 0, 0)
    client.close()


def test_it_loses_nothing_and_stores_nothing_twice_through_a_flaky_network(live: Live) -> None:
    def fail(n: int) -> str | None:
        # answers lost after storing, hangs past the timeout, refusals: then a healthy network
        return {1: "lose-answer", 2: "hang", 3: "refuse", 4: "lose-answer", 6: "hang"}.get(n)

    with serve_proxy(FlakyProxy(live.url, fail)) as url:
        client = Client(
            url,
            live.cast.ingest,
            batch_size=100,
            timeout=1.0,
            backoff_base=0.05,
            backoff_cap=0.2,
            flush_at_exit=False,
        )
        ids = [
            client.log_output("chat", "m", f"q{i}", f"a{i}", id=f"flaky-{i}") for i in range(1000)
        ]
        assert client.flush(60)
        stats = client.stats
        client.close()
    assert stored(live) == {"output": 1000}
    assert ids[0] == "flaky-0"
    assert (stats.sent, stats.dropped, stats.failed) == (1000, 0, 0)
    assert stats.retried >= 5
    assert stats.duplicates > 0  # the server saw some batches twice and kept them once


def test_it_sends_nothing_without_a_valid_token(live: Live) -> None:
    client = Client(live.url, "not-a-token", flush_at_exit=False)
    client.metric("chat", "x", 1.0)
    assert client.flush(10)
    assert client.stats.failed == 1
    assert client.stats.retried == 0
    assert stored(live) == {}
    client.close()

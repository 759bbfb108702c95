"""On SQLite, incident actions taken while ingest runs at 1,500 events/s (and the pipeline, the
timers and the outbox work in the background) are never lost: each succeeds, or answers 503
with Retry-After and succeeds on retry. Before writers began with BEGIN IMMEDIATE, 7 of 60 such
actions failed with "database is locked" (a deferred transaction that read, then had to write
after another connection committed)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serve_proc import Serve, clean_env

ADMIN = "tw_load-test-admin-token-0123456789abcdefgh"
RATE = 1500  # events/s, in batches of 150 from two senders
INCIDENTS = 50  # x (declare, acknowledge, mitigate, resolve) = 200 actions
STEPS = ("acknowledge", "mitigate", "resolve")


def now_z() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Ingest(threading.Thread):
    """Sends `per_second` events/s until stopped; counts what was accepted."""

    def __init__(self, url: str, name: str, per_second: int) -> None:
        super().__init__(daemon=True)
        self.url, self.prefix, self.per_second = url, name, per_second
        self.stop = threading.Event()
        self.accepted = 0
        self.failures: list[str] = []

    def run(self) -> None:
        batch, sent = 150, 0
        headers = {"Authorization": f"Bearer {ADMIN}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=60) as client:
            start = time.monotonic()
            while not self.stop.is_set():
                events = [self._event(sent + i) for i in range(batch)]
                r = client.post("/v1/events", json={"events": events})
                if r.status_code == 202:
                    self.accepted += batch
                elif r.status_code not in (429, 503):
                    self.failures.append(f"{r.status_code} {r.text[:200]}")
                sent += batch
                ahead = start + sent / self.per_second - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)

    def _event(self, i: int) -> dict[str, Any]:
        base = {"id": f"{self.prefix}-{i}", "ts": now_z(), "use_case": "support-chat"}
        if i % 3 == 0:
            return {**base, "type": "safety", "filter": "toxicity", "triggered": False}
        return {
            **base,
            "type": "output",
            "model": "m1",
            "input": "How do I reset my password?",
            "output": "Open Settings, then Security, and choose Reset password.",
            "latency_ms": 420.0,
        }


def act(client: httpx.Client, path: str, body: dict[str, Any], retries: list[str]) -> Any:
    """POST until it succeeds; a 503 must come with Retry-After. Anything else fails the test."""
    for _ in range(20):
        r = client.post(path, json=body)
        if r.status_code == 503:
            retries.append(path)
            assert r.headers.get("retry-after"), r.text
            assert r.json()["error"]
            time.sleep(float(r.headers["retry-after"]))
            continue
        assert r.status_code in (200, 201), (path, r.status_code, r.text[:300])
        return r.json()
    raise AssertionError(f"{path} still busy after 20 tries")


@pytest.mark.slow
def test_incident_actions_under_ingest_load_are_never_lost(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "tw.db", TRIPWIRE_ADMIN_TOKEN=ADMIN)
    serve = Serve(env)
    senders = [Ingest(serve.url, f"s{n}", RATE // 2) for n in range(2)]
    errors: list[BaseException] = []
    retries: list[str] = []
    ids: list[str] = []
    try:
        for sender in senders:
            sender.start()
        time.sleep(1.0)  # the load is on before the first action
        started = time.monotonic()
        accepted_before = sum(s.accepted for s in senders)

        def responder(part: int) -> None:
            headers = {"Authorization": f"Bearer {ADMIN}"}
            try:
                with httpx.Client(base_url=serve.url, headers=headers, timeout=60) as client:
                    for n in range(part, INCIDENTS, 4):
                        body = {"type": "availability", "title": f"load {n}", "by": "load"}
                        incident = act(client, "/v1/incidents", body, retries)
                        ids.append(incident["id"])
                        for step in STEPS:
                            act(client, f"/v1/incidents/{incident['id']}/{step}", {}, retries)
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=responder, args=(p,)) for p in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(300)
        elapsed = time.monotonic() - started
        rate = (sum(s.accepted for s in senders) - accepted_before) / elapsed
        for sender in senders:
            sender.stop.set()
        for sender in senders:
            sender.join(60)
        assert not errors, errors[0]
        assert not [f for s in senders for f in s.failures], senders[0].failures[:3]
        headers = {"Authorization": f"Bearer {ADMIN}"}
        with httpx.Client(base_url=serve.url, headers=headers, timeout=60) as client:
            details = [client.get(f"/v1/incidents/{i}").json() for i in ids]
    finally:
        for sender in senders:
            sender.stop.set()
        serve.stop()
    print(f"\n200 actions in {elapsed:.1f} s under {rate:,.0f} events/s; {len(retries)} 503s")
    assert len(ids) == INCIDENTS
    for detail in details:
        assert detail["status"] == "resolved", detail["id"]
        kinds = [entry["kind"] for entry in detail["timeline"]]
        for step in ("acknowledged", "mitigated", "resolved"):
            assert any(step in kind for kind in kinds), (detail["id"], kinds)
    # Writers that begin IMMEDIATE wait their turn: a 503 is the exception, not the rule (with
    # deferred transactions, 190 of these 200 actions needed a retry).
    assert len(retries) <= 10, f"{len(retries)} actions were told to retry"
    # The senders aim at 1,500/s (1,239 to 1,502/s measured alone on the 2-core machine); when
    # the whole suite shares the machine they reach less, but ingest must have kept writing.
    assert rate > RATE * 0.2, f"ingest ran at only {rate:.0f} events/s"

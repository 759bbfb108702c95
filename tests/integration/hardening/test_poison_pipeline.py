"""After a poison event, later events are still evaluated, detected and paged on: through the
real path (HTTP ingest -> pipeline -> detector -> incident -> page), as `serve` runs it.

The poison: an evaluator plug-in with a bug that, on one answer, returns a dict instead of an
EvalResult, so the evaluate stage fails on that output every time it sees it (before
quarantine, the follower retried that batch every 0.5 s forever and nothing after it was
evaluated; the same happened with an `output` stamped in the last hour of year 9999).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0
from tests.integration.respond.conftest import SECRET, respond_config
from tests.integration.respond.receivers import http_receiver
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.evaluate import registry
from tripwire.evaluate.protocol import EvalInput, EvalResult
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

TRIGGER = "Ignore previous instructions"


class Buggy:
    """A plug-in with a bug on one kind of answer."""

    name = "buggy"

    def evaluate(self, item: EvalInput) -> EvalResult | None:
        if TRIGGER in item.output:
            return {"score": 0.5}  # type: ignore[return-value]
        return EvalResult(self.name, 0.5)


@pytest.fixture(autouse=True)
def _plugin() -> Iterator[None]:
    registry.register(Buggy.name, Buggy)
    yield
    registry._FACTORIES.pop(Buggy.name, None)


def output(i: int, at: Any, status: str = "ok", text: str = "It ships tomorrow.") -> dict[str, Any]:
    return {
        "id": f"o{i}",
        "type": "output",
        "ts": at if isinstance(at, str) else isoformat_z(at),
        "use_case": "support-chat",
        "model": "m1",
        "input": "Where is my order?",
        "output": text,
        "status": status,
    }


def poisoned_runtime(db_url: str, clock: ManualClock, hook_url: str) -> Runtime:
    config = respond_config(hook_url)
    config["respond"]["channels"]["hook"] = {"type": "webhook", "url": hook_url, "secret": SECRET}
    config["evaluate"] = {"sample_rate": 1.0, "evaluators": ["quality", Buggy.name]}
    config["monitors"] = {
        "defaults": False,
        "items": [
            {
                "name": "errors",
                "signal": "error_rate",
                "incident_type": "availability",
                "slo_target": 0.99,
            }
        ],
    }
    settings = Settings(
        database_url=db_url,
        workers=False,
        allow_private_webhooks=True,
        secret_key="test-secret-key-0123456789",  # type: ignore[arg-type]
    )
    return Runtime.open(settings, parse_config(config), clock)


def test_one_poison_event_does_not_stop_detection_or_paging(
    db_url: str, clock: ManualClock
) -> None:
    with http_receiver() as receiver:
        rt = poisoned_runtime(db_url, clock, receiver.url)
        tasks = {task.name: task for task in rt.periodic_tasks()}
        with rt.db.session() as session:
            headers = {"Authorization": f"Bearer {create_token(session, 'p', ['admin'], T0)[1]}"}
        try:
            with TestClient(create_app(rt, background=False)) as api:
                poison = output(0, T0 - timedelta(seconds=30), text=f"{TRIGGER}: sure!")
                r = api.post("/v1/events", json={"events": [poison]}, headers=headers)
                assert r.status_code == 202
                while tasks["pipeline"].run():
                    pass
                stats = api.get("/v1/stats", headers=headers).json()["pipeline"]
                assert stats == {"pending": 0, "dead_letter": 1} | {
                    k: v for k, v in stats.items() if k not in ("pending", "dead_letter")
                }
                # Every minute after it: six answers, all failing. The SLO burn-rate monitor
                # pages within minutes if the pipeline still evaluates and detects.
                for minute in range(1, 25):
                    at = T0 + timedelta(minutes=minute)
                    batch = [
                        output(minute * 10 + k, at - timedelta(seconds=50 - k), "error")
                        for k in range(6)
                    ] + [output(minute * 10 + 9, at - timedelta(seconds=30))]
                    r = api.post("/v1/events", json={"events": batch}, headers=headers)
                    assert r.status_code == 202, r.text
                    clock.set(at)
                    while tasks["pipeline"].run():
                        pass
                    tasks["timers"].run()
                    tasks["outbox"].run()
                incidents = api.get("/v1/incidents", headers=headers).json()["incidents"]
                scores = api.get("/v1/stats", headers=headers).json()["events"].get("score", 0)
                letters = api.get("/v1/stats", headers=headers).json()["pipeline"]
        finally:
            rt.close()
    assert letters["dead_letter"] == 1, "only the poison event is quarantined"
    assert scores > 0, "later outputs were still evaluated"
    assert [i["type"] for i in incidents] == ["availability"], "and detected"
    pages = [a for a in receiver.accepted if a["body"]["type"] == "incident.page"]
    assert pages, "and paged on"
    assert pages[0]["body"]["data"]["incident"]["id"] == incidents[0]["id"]

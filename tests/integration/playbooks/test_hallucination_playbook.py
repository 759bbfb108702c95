"""The hallucination playbook: pattern or one-off decides whether a test case task is made."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0
from tests.integration.respond.conftest import feed, make_runtime, respond_config
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token


@pytest.fixture
def rt(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, clock, parse_config(respond_config()))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


def answers(rt: Runtime, false_ones: int) -> None:
    events: list[dict[str, Any]] = []
    for i in range(40):
        grounded = 0.2 if i < false_ones else 0.9
        events.append({
            "id": f"o{i}", "type": "output", "use_case": "med-summary", "model": "m",
            "ts": isoformat_z(T0 - timedelta(minutes=30) + timedelta(seconds=30 * i)),
            "input": f"dose of drug {i}?", "output": f"take {i * 100} mg",
            "context": ["leaflet: at most 50 mg"], "scores": {"groundedness": grounded},
        })  # fmt: skip
    store_events(rt.db, parse_batch(events), rt.clock)


def open_incident(rt: Runtime, api: TestClient) -> dict[str, Any]:
    feed(
        rt,
        Alert(
            dedup_key="groundedness:med-summary",
            state="firing",
            incident_type="hallucination",
            use_case="med-summary",
            monitor="groundedness",
            metric="score:groundedness",
            started_at=T0 - timedelta(minutes=30),
            detected_at=T0,
            baseline=0.9,
            observed=0.7,
            magnitude=0.22,
        ),
    )
    with rt.db.session() as session:
        secret = create_token(session, "r", ["read"], rt.clock.now())[1]
    r = api.get("/v1/incidents/INC-1", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_pattern_of_false_answers_asks_for_a_test_case(rt: Runtime, api: TestClient) -> None:
    answers(rt, false_ones=6)
    incident = open_incident(rt, api)
    titles = [t["title"] for t in incident["tasks"]]
    assert any("add a test case" in t for t in titles)
    scope = next(e for e in incident["timeline"] if "one query or a pattern" in e["text"])
    assert "6 outputs since the onset scored groundedness below 0.5: a pattern" in scope["text"]
    chain = next(e for e in incident["evidence"] if "input/output" in e["text"])
    assert chain["data"]["chain"][0]["context"] == ["leaflet: at most 50 mg"]


def test_a_one_off_does_not(rt: Runtime, api: TestClient) -> None:
    answers(rt, false_ones=1)
    incident = open_incident(rt, api)
    assert not any("add a test case" in t["title"] for t in incident["tasks"])

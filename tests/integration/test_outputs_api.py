"""GET /v1/outputs, and outputs whose content was not captured through the pipeline: no
content evaluators for them, counted in /v1/stats and on the overview with the setting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0, Cast
from tripwire.evaluate.capture import EVENT_SETTING
from tripwire.runtime.wiring import Runtime


def stamp(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def output(n: int, minutes: float, **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": f"out-{n}",
        "type": "output",
        "ts": stamp(minutes),
        "use_case": "support-chat",
        "model": "gpt-4o-mini",
        "input": "What is the refund window?",
        "output": "You can ask for a refund within 30 days of purchase.",
    }
    event.update(fields)
    return {k: v for k, v in event.items() if v is not None}


def send(client: TestClient, cast: Cast, *events: dict[str, Any]) -> None:
    r = client.post("/v1/events", json={"events": list(events)}, headers=cast.auth("ingest"))
    assert r.status_code == 202, r.text


def outputs(client: TestClient, cast: Cast, **params: Any) -> dict[str, Any]:
    r = client.get("/v1/outputs", params=params, headers=cast.auth("read"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def run_pipeline(runtime: Runtime) -> None:
    tasks = runtime.periodic_tasks()
    try:
        pipeline = next(t for t in tasks if t.name == "pipeline")
        while pipeline.run():
            pass
    finally:
        for task in tasks:
            if task.close is not None:
                task.close()


@pytest.fixture
def traffic(client: TestClient, cast: Cast) -> None:
    send(
        client,
        cast,
        output(1, 1, prompt_version="p1", input_tokens=1000, output_tokens=2000),
        output(2, 2, prompt_version="p2", status="error", output=None),
        output(3, 3, prompt_version="p2", scores={"quality": 0.4}),
        output(4, 4, use_case="med-summary"),
        output(5, 5, input=None, output=None),  # content not captured
        {
            "id": "s-1",
            "type": "score",
            "ts": stamp(3.5),
            "use_case": "support-chat",
            "output_id": "out-3",
            "name": "relevance",
            "value": 0.9,
            "source": "ragas",
            "label": "relevant",
        },
    )


@pytest.mark.usefixtures("traffic")
def test_outputs_come_newest_first_with_their_scores_and_cost(
    client: TestClient, cast: Cast
) -> None:
    page = outputs(client, cast, use_case="support-chat")
    assert [o["id"] for o in page["outputs"]] == ["out-5", "out-3", "out-2", "out-1"]
    assert page["cursor"] is None
    by_id = {o["id"]: o for o in page["outputs"]}
    assert "input" not in by_id["out-5"]
    assert "output" not in by_id["out-5"]
    assert by_id["out-3"]["scores"] == [
        {"name": "quality", "value": 0.4, "source": "product"},
        {
            "id": "s-1",
            "name": "relevance",
            "value": 0.9,
            "source": "ragas",
            "ts": stamp(3.5),
            "label": "relevant",
        },
    ]
    first = by_id["out-1"]
    assert (first["input_tokens"], first["output_tokens"]) == (1000, 2000)
    assert first["cost"] == pytest.approx((1000 * 0.15 + 2000 * 0.60) / 1e6)
    assert "cost" not in by_id["out-3"]  # no token counts, no cost


@pytest.mark.usefixtures("traffic")
def test_outputs_filter_by_time_status_and_segment(client: TestClient, cast: Cast) -> None:
    def ids(**params: Any) -> list[str]:
        return [o["id"] for o in outputs(client, cast, **params)["outputs"]]

    assert ids(since=stamp(2), until=stamp(4)) == ["out-3", "out-2"]  # until is exclusive
    assert ids(status="error") == ["out-2"]
    assert ids(prompt_version="p2", status="ok") == ["out-3"]
    assert ids(use_case="med-summary") == ["out-4"]
    assert ids(model_version="v9") == []


@pytest.mark.usefixtures("traffic")
def test_outputs_page_with_a_cursor(client: TestClient, cast: Cast) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = outputs(client, cast, **params)
        seen += [o["id"] for o in page["outputs"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == ["out-5", "out-4", "out-3", "out-2", "out-1"]


def test_outputs_refuse_bad_parameters_and_need_the_read_scope(
    client: TestClient, cast: Cast
) -> None:
    bad = [{"cursor": "not-a-cursor"}, {"since": "yesterday"}, {"status": "weird"}, {"limit": 0}]
    for params in bad:
        r = client.get("/v1/outputs", params=params, headers=cast.auth("read"))
        assert r.status_code == 422, params
        assert "error" in r.json()
    assert client.get("/v1/outputs", headers=cast.auth("ingest")).status_code == 403
    assert client.get("/v1/outputs").status_code == 401


@pytest.mark.usefixtures("traffic")
def test_content_not_captured_is_not_scored_and_is_counted_with_the_setting(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    send(client, cast, output(6, 6, output=""))  # the model really answered nothing
    run_pipeline(runtime)
    quality = {
        o["id"]: s["value"]
        for o in outputs(client, cast)["outputs"]
        for s in o["scores"]
        if s["name"] == "quality" and s["source"] == "tripwire:quality"
    }
    assert "out-5" not in quality  # not captured: not judged
    assert "out-2" not in quality  # an error: availability's business
    assert quality["out-6"] == 0.0  # empty is empty
    assert quality["out-1"] == 1.0
    stats = client.get("/v1/stats", headers=cast.auth("read")).json()
    assert stats["content_not_captured"] == {
        "support-chat": {
            "outputs": 1,
            "setting": EVENT_SETTING,
            "by_setting": {EVENT_SETTING: 1},
            "last_seen": stamp(5),
        }
    }
    assert {"events", "incidents", "pipeline"} <= set(stats)
    r = client.post("/ui/login", data={"token": cast.read, "next": "/ui"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/ui")
    assert "Outputs without content" in page.text
    assert "log_output(input=, output=)" in page.text

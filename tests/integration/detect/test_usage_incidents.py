"""The default usage monitors through the real path (outputs with token counts -> detect ->
incident), on event time: a prompt change that triples the answers' length, and a runaway loop
that multiplies the calls, each open an incident, and two quiet days before them open none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from tripwire.domain.events import EVENT_ADAPTER, Event
from tripwire.respond.summary import summary
from tripwire.runtime.wiring import Runtime

START = datetime(2026, 11, 16, tzinfo=UTC)
ONSET = 2 * 1440 + 30  # minutes


def traffic() -> list[Event]:
    rng = np.random.default_rng(5)
    raw: list[dict[str, Any]] = []
    for minute in range(ONSET + 90):
        after = minute >= ONSET
        for use_case, per_minute, tokens in (
            ("support-chat", 4, 600 if after else 200),  # the answers get three times longer
            ("agent", 40 if after else 4, 200),  # a loop calls the model ten times as often
        ):
            for i in range(int(rng.poisson(per_minute))):
                ts = START + timedelta(minutes=minute, seconds=int(rng.integers(0, 60)))
                raw.append(
                    {
                        "id": f"{use_case}-{minute}-{i}",
                        "type": "output",
                        "ts": ts.isoformat().replace("+00:00", "Z"),
                        "use_case": use_case,
                        "model": "gpt-4o-mini",
                        "latency_ms": float(rng.normal(900, 50)),
                        "input_tokens": int(rng.normal(500, 50)),
                        "output_tokens": max(1, int(rng.normal(tokens, tokens / 5))),
                    }
                )
    return [EVENT_ADAPTER.validate_python(r) for r in raw]


def test_longer_answers_and_a_runaway_loop_each_open_an_incident(runtime: Runtime) -> None:
    runtime.replay(traffic())
    with runtime.db.session() as session:
        incidents = summary(session, 0)["incidents"]
    onset = START + timedelta(minutes=ONSET)
    by_case = {i["use_case"]: i for i in incidents}
    assert len(incidents) == 2, [i["title"] for i in incidents]  # nothing before the onset
    assert set(by_case) == {"support-chat", "agent"}
    for use_case, kind, metric in (
        ("support-chat", "quality_regression", "metric:tripwire:output_tokens"),
        ("agent", "availability", "metric:tripwire:cost_per_hour"),
    ):
        incident = by_case[use_case]
        assert incident["type"] == kind
        assert metric in {s["metric"] for s in incident["signals"]}
        detected = datetime.fromisoformat(incident["detected_at"].replace("Z", "+00:00"))
        assert onset <= detected <= onset + timedelta(minutes=15)

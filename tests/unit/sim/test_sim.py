"""The simulator: valid events, determinism, ground truth that matches what was injected."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tripwire.domain.events import EVENT_ADAPTER
from tripwire.sim import Injection, Scenario, UseCase, simulate
from tripwire.sim.streams import rate_stream, score_stream

SMALL = Scenario(seed=7, days=1.0, outputs_per_hour=300)


def test_every_event_is_valid_and_in_ts_order() -> None:
    events = simulate(SMALL).events
    for event in events:
        EVENT_ADAPTER.validate_python(event)
    stamps = [e["ts"] for e in events]
    assert stamps == sorted(stamps)
    assert len({e["id"] for e in events}) == len(events)
    kinds = Counter(e["type"] for e in events)
    assert kinds["output"] > 5000
    assert kinds["safety"] == kinds["output"]
    assert kinds["feedback"] > 300


def test_the_same_seed_gives_the_same_events() -> None:
    assert simulate(SMALL).events == simulate(SMALL).events
    other = Scenario(seed=8, days=1.0, outputs_per_hour=300)
    assert simulate(other).events != simulate(SMALL).events


def test_traffic_has_a_daily_cycle() -> None:
    events = simulate(Scenario(seed=1, days=1.0, outputs_per_hour=600)).events
    hours = Counter(int(e["ts"][11:13]) for e in events if e["type"] == "output")
    assert hours[15] / hours[3] > 2.0  # 3:1 peak to trough


def test_truth_names_the_change_that_caused_a_segment_incident() -> None:
    injection = Injection(
        "negative_feedback",
        "support-chat",
        600,
        2.0,
        segment={"prompt_version": "v2"},
        segment_share=0.5,
    )
    result = simulate(Scenario(seed=2, days=1.0, outputs_per_hour=600, injections=(injection,)))
    (truth,) = result.truth
    assert truth.incident_type == "quality_regression"
    assert truth.onset.hour == 10  # 600 minutes after a midnight start
    change = next(e for e in result.events if e["id"] == truth.change_id)
    assert change["type"] == "change"
    assert change["version"] == "v2"
    assert change["rollback"] == {"flag": "support-chat-prompt", "variant": "v1"}
    outputs = {e["id"]: e for e in result.events if e["type"] == "output"}
    rates: dict[str, list[int]] = {"v1": [0, 0], "v2": [0, 0]}
    for e in result.events:
        if e["type"] == "feedback" and e["use_case"] == "support-chat":
            version = outputs[e["output_id"]]["prompt_version"]
            rates[version][0] += 1
            rates[version][1] += e["rating"] == "down"
    v1, v2 = (k / n for n, k in rates.values())
    assert v2 > 1.5 * v1


def test_aggregate_streams_are_coupled_to_their_healthy_twin() -> None:
    scenario = Scenario(seed=3, days=3, use_cases=(UseCase("x"),))
    healthy, sick = rate_stream(scenario, "safety", Injection("safety", "x", 2000, 3.0))
    assert sick is not None
    assert np.array_equal(healthy.events[:2000], sick.events[:2000])
    ratio = sick.events[2000:].sum() / healthy.events[2000:].sum()
    assert 2.5 < ratio < 3.5
    base, drop = score_stream(scenario, Injection("quality", "x", 2000, -0.1))
    assert drop is not None
    shift = (
        drop.events[2000:].sum() / drop.trials[2000:].sum()
        - base.events[2000:].sum() / base.trials[2000:].sum()
    )
    assert -0.12 < shift < -0.08

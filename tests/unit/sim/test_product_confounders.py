"""The simulator's product confounders: KB updates, noisy prompt versions, slow drifts and
several segment incidents per use case that are rolled back."""

from __future__ import annotations

import statistics
from typing import Any

from tripwire.domain.events import EVENT_ADAPTER
from tripwire.sim import Deploy, Injection, Scenario, UseCase, simulate

DAY = 1440


def outputs(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "output"]


def test_a_kb_update_is_a_change_event_that_moves_no_version() -> None:
    scenario = Scenario(
        seed=1,
        days=0.5,
        outputs_per_hour=200,
        use_cases=(UseCase("chat"),),
        deploys=(Deploy(300, "chat", "data_change", "kb-7"),),
    )
    events = simulate(scenario).events
    changes = [e for e in events if e["type"] == "change"]
    assert [c["kind"] for c in changes] == ["data_change"]
    EVENT_ADAPTER.validate_python(changes[0])
    assert {o["prompt_version"] for o in outputs(events)} == {"v1"}


def test_a_noisy_prompt_version_has_the_same_mean_and_a_wider_spread() -> None:
    scenario = Scenario(
        seed=2,
        days=2.0,
        outputs_per_hour=300,
        scored_per_hour=200,
        use_cases=(UseCase("chat"),),
        deploys=(Deploy(DAY, "chat", "prompt_change", "noisy", score_sd=0.3),),
    )
    scores: dict[str, list[float]] = {"v1": [], "noisy": []}
    for o in outputs(simulate(scenario).events):
        if "scores" in o:
            scores[o["prompt_version"]].append(o["scores"]["quality"])
    old, new = scores["v1"], scores["noisy"]
    # Clipped to [0, 1], a wider normal around 0.8 would lose 0.04 of its mean (a confounder
    # that is really a quality drop); the noisy version is centred to keep the mean. About
    # 4,800 scores each: the means' standard error is 0.005.
    assert abs(statistics.mean(old) - statistics.mean(new)) < 0.015
    assert statistics.stdev(new) > 1.5 * statistics.stdev(old)


def test_segment_incidents_roll_back_and_do_not_share_outputs() -> None:
    first = Injection(
        "errors",
        "chat",
        DAY // 4,
        10.0,
        duration_minutes=120,
        segment={"prompt_version": "a"},
        segment_share=0.5,
        rollback=True,
    )
    second = Injection(
        "errors",
        "chat",
        DAY // 2,
        10.0,
        duration_minutes=120,
        segment={"prompt_version": "b"},
        segment_share=0.5,
        rollback=True,
    )
    scenario = Scenario(
        seed=3,
        days=1.0,
        outputs_per_hour=300,
        use_cases=(UseCase("chat"),),
        injections=(first, second),
    )
    result = simulate(scenario)
    by_version: dict[str, list[int]] = {}
    for o in outputs(result.events):
        minute = int(o["ts"][11:13]) * 60 + int(o["ts"][14:16])
        by_version.setdefault(o["prompt_version"], []).append(minute)
    assert min(by_version["a"]) >= DAY // 4
    assert max(by_version["a"]) < DAY // 4 + 120
    assert min(by_version["b"]) >= DAY // 2
    assert max(by_version["b"]) < DAY // 2 + 120
    assert len(result.truth) == 2
    assert all(t.change_id for t in result.truth)


def test_a_slow_drift_is_benign_not_an_incident() -> None:
    drift = Injection("latency", "chat", 0, 2.0, "ramp", ramp_minutes=DAY)
    scenario = Scenario(
        seed=4, days=1.0, outputs_per_hour=300, use_cases=(UseCase("chat"),), drifts=(drift,)
    )
    result = simulate(scenario)
    assert result.truth == []
    assert any("slow drift" in note for note in result.benign)
    latency = [(o["ts"][11:13], o["latency_ms"]) for o in outputs(result.events)]
    early = statistics.median(v for h, v in latency if h < "04")
    late = statistics.median(v for h, v in latency if h >= "20")
    assert late > 1.4 * early

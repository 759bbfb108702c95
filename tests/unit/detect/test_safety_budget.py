"""The safety-triggers total's larger share of its use case's false-alarm budget."""

from __future__ import annotations

import pytest

from tripwire.config.monitors import MonitorsConfig
from tripwire.detect import engine as engine_module
from tripwire.detect.engine import LINE_SLACK, SEGMENT_WEIGHT, Engine

T0 = 29_000_000  # minutes since the epoch
WEIGHT = 2.0  # the weight measured in docs/detect-studies.md, "A larger share for safety"


def engine_with_a_use_case() -> Engine:
    engine = Engine(MonitorsConfig())
    out = {"id": "o", "model": "m", "model_version": "1", "prompt_version": "v1"}
    for minute in range(2):  # every series of the use case exists when each is apportioned
        engine.observe("output", "chat", {**out, "scores": {"quality": 0.8}}, None)
        engine.observe("feedback", "chat", {"output_id": "o", "rating": "down"}, None)
        engine.observe("safety", "chat", {"output_id": "o", "triggered": False}, None)
        engine.close(T0 + minute)
    return engine


def test_the_safety_total_gets_its_weighted_share_and_others_make_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default weight is 1 (measured, not adopted); the split must honour any other.
    monkeypatch.setattr(engine_module, "SAFETY_WEIGHT", WEIGHT)
    engine = engine_with_a_use_case()
    total = engine.stream_budget("chat", segment=False)
    safety = engine.stream_budget("chat", segment=False, safety=True)
    assert safety == pytest.approx(WEIGHT * total)
    series = engine.series[("safety-triggers", "chat", "", "", "")]
    assert series.rate is not None
    assert series.rate.budget == pytest.approx(safety)  # set on the detector itself
    # a version's safety segment keeps a segment's share (safety is measured on totals)
    assert engine.stream_budget("chat", segment=True, safety=True) == pytest.approx(
        engine.stream_budget("chat", segment=True)
    )
    # the weight moves budget to safety from every other series, it does not add any: a
    # total's share is the budget over the split's units, the safety total counting for more
    budgeted = [s for s in engine.series.values() if s.rate or s.mean or s.latency]
    totals = sum(not s.is_segment for s in budgeted)
    units = totals - 1 + WEIGHT + SEGMENT_WEIGHT * (len(budgeted) - totals)
    weekly = MonitorsConfig().false_alarm_budget * 7 / 30 * LINE_SLACK
    assert total == pytest.approx(weekly / units)


@pytest.mark.parametrize("weight", [1.0, WEIGHT])
def test_the_shares_still_sum_to_the_use_cases_budget(
    monkeypatch: pytest.MonkeyPatch, weight: float
) -> None:
    monkeypatch.setattr(engine_module, "SAFETY_WEIGHT", weight)
    engine = engine_with_a_use_case()
    shares = sum(
        engine.stream_budget(
            key[1], series.is_segment, safety=series.spec.signal == "safety_trigger"
        )
        for key, series in engine.series.items()
        if series.rate is not None or series.mean is not None or series.latency is not None
    )
    weekly = MonitorsConfig().false_alarm_budget * 7 / 30 * LINE_SLACK
    assert shares == pytest.approx(weekly)

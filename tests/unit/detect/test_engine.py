"""The engine on simulated traffic: segments, confounders, alert hand-over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from tests.unit.detect.engine_support import run
from tripwire.config.monitors import MaintenanceWindow, MonitorsConfig, MonitorSpec
from tripwire.sim import Deploy, EvaluatorGap, Injection, Scenario, Surge, UseCase, simulate

ONE = (UseCase("chat"),)


def test_benign_confounders_raise_no_alert() -> None:
    """A 3x surge, a 6-hour evaluator gap and a harmless deploy: no alert starts or is raised
    near any of them. (Chance false alarms elsewhere are the benchmark's business.)"""
    surge, gap, deploy = 2 * 1440 + 600, 1440 + 300, 2 * 1440 + 200
    scenario = Scenario(
        seed=3,
        days=4,
        outputs_per_hour=1000,
        use_cases=ONE,
        surges=(Surge(surge, 180, 3.0),),
        gaps=(EvaluatorGap(gap, 360),),
        deploys=(Deploy(deploy, "chat", "prompt_change", "v1.1"),),
    )
    # during each confounder and in the two hours after it
    zones = [(surge, surge + 180 + 120), (gap, gap + 360 + 120), (deploy, deploy + 120)]
    for alert in run(simulate(scenario).events):
        began = (alert.started_at - scenario.start).total_seconds() / 60
        raised = (alert.detected_at - scenario.start).total_seconds() / 60
        for lo, hi in zones:
            assert not (began < hi and raised > lo), (alert.title, lo, hi)


def test_a_regression_confined_to_the_new_prompt_is_seen_in_its_segment() -> None:
    onset = 2 * 1440 + 600
    scenario = Scenario(
        seed=4,
        days=3,
        outputs_per_hour=1000,
        use_cases=ONE,
        injections=(
            Injection(
                "negative_feedback",
                "chat",
                onset,
                2.5,
                segment={"prompt_version": "v2"},
                segment_share=0.2,
            ),
        ),
    )
    result = simulate(scenario)
    firing = [a for a in run(result.events) if a.state == "firing"]
    seg = [a for a in firing if a.segment == {"prompt_version": "v2"}]
    assert seg, [a.title for a in firing]
    alert = seg[0]
    truth = result.truth[0]
    assert alert.incident_type == "quality_regression"
    assert alert.dedup_key == "detect:negative-feedback:chat:prompt_version=v2"
    assert alert.detected_at >= truth.onset
    assert abs((alert.started_at - truth.onset).total_seconds()) <= 3 * 3600
    assert alert.observed is not None
    assert alert.baseline is not None
    assert alert.observed > 1.5 * alert.baseline


def test_a_safety_burst_raises_a_safety_alert_and_maintenance_mutes_it() -> None:
    onset = 2 * 1440
    scenario = Scenario(
        seed=5,
        days=2.2,
        outputs_per_hour=800,
        use_cases=ONE,
        injections=(Injection("safety", "chat", onset, 10.0, duration_minutes=30),),
    )
    events = simulate(scenario).events
    alerts = [a for a in run(events) if a.state == "firing"]
    # The alert, then its confirmation under the same key (the burst kept its evidence).
    assert [(a.incident_type, a.details["confirmed"]) for a in alerts] == [
        ("safety", False),
        ("safety", True),
    ]
    assert alerts[0].dedup_key == alerts[1].dedup_key
    assert (alerts[0].detected_at - scenario.start).total_seconds() / 60 - onset <= 15
    window = MaintenanceWindow(
        start=scenario.start + timedelta(days=2), end=scenario.start + timedelta(days=2, hours=2)
    )
    assert run(events, MonitorsConfig(maintenance=[window])) == []


def test_the_p95_monitor_stays_quiet_through_healthy_weeks_of_drifting_latency() -> None:
    """Latency drifts a few % a day and swings with the hour; the share over a fixed p95 cut
    magnifies that. These seeds each raised a p95 false alarm before the caution accounted
    for it."""
    latency_only = MonitorsConfig(
        defaults=False,
        items=[MonitorSpec(name="latency-p95", signal="latency_p95", incident_type="availability")],
    )
    for seed in (1, 2, 4, 9):
        scenario = Scenario(seed=seed, days=7, outputs_per_hour=1000, use_cases=ONE)
        alerts = run(simulate(scenario).events, latency_only)
        assert alerts == [], (seed, [a.title for a in alerts])


def test_a_metric_monitor_pages_on_a_collapse_of_its_series_and_not_before() -> None:
    """`signal: metric` runs the generic detector on a metric's per-minute mean."""
    rng = np.random.default_rng(11)
    config = MonitorsConfig(
        defaults=False,
        items=[
            MonitorSpec(
                name="throughput",
                signal="metric",
                metric="tokens_per_s",
                incident_type="availability",
            )
        ],
    )
    start = datetime(2026, 11, 16, tzinfo=UTC)
    drop = 2 * 1440
    events = []
    for minute in range(drop + 120):
        level = 40.0 if minute < drop else 12.0
        ts = (start + timedelta(minutes=minute, seconds=30)).isoformat().replace("+00:00", "Z")
        events.append(
            {
                "type": "metric",
                "ts": ts,
                "use_case": "chat",
                "name": "tokens_per_s",
                "value": float(level + rng.normal(0, 2.0)),
            }
        )
    alerts = [a for a in run(events, config) if a.state == "firing"]
    assert alerts, "a collapse from 40 to 12 tokens/s must page"
    first = (alerts[0].detected_at - start).total_seconds() / 60
    assert drop <= first <= drop + 10
    assert alerts[0].metric == "metric:tokens_per_s"

"""The `monitors:` section of tripwire.yaml."""

from __future__ import annotations

import pytest

from tripwire.config.file import ConfigError, parse_config
from tripwire.config.monitors import builtin_monitors, effective_monitors


def test_no_config_gives_the_contract_defaults() -> None:
    config = parse_config(None)
    by_signal = {
        (m.signal, m.score or m.topic or m.metric): m.incident_type
        for m in effective_monitors(config.monitors)
    }
    assert by_signal == {
        ("negative_feedback", None): "quality_regression",
        ("safety_trigger", None): "safety",
        ("score_mean", "quality"): "quality_regression",
        ("score_mean", "groundedness"): "hallucination",
        ("ticket_topic", "wrong_answer"): "hallucination",
        ("ticket_topic", "inappropriate_response"): "safety",
        ("ticket_topic", "ai_quality_other"): "quality_regression",
        ("error_rate", None): "availability",
        ("latency_p95", None): "availability",
        ("metric", "tripwire:output_tokens"): "quality_regression",
        ("metric", "tripwire:cost_per_hour"): "availability",
    }


def test_a_configured_monitor_overrides_a_builtin_by_name() -> None:
    config = parse_config(
        {
            "monitors": {
                "items": [
                    {
                        "name": "safety-triggers",
                        "signal": "safety_trigger",
                        "incident_type": "safety",
                        "use_cases": ["med-summary"],
                        "sensitivity": "high",
                        "min_events": 3,
                    },
                    {
                        "name": "tokens",
                        "signal": "metric",
                        "metric": "tokens_per_s",
                        "incident_type": "availability",
                    },
                ]
            }
        }
    )
    monitors = {m.name: m for m in effective_monitors(config.monitors)}
    assert monitors["safety-triggers"].use_cases == ["med-summary"]
    assert monitors["tokens"].metric == "tokens_per_s"
    assert len(monitors) == len(builtin_monitors()) + 1


def test_errors_name_the_path_of_each_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {
                "monitors": {
                    "sensitivity": "extreme",
                    "items": [
                        {"name": "x", "signal": "score_mean", "incident_type": "safety"},
                        {"name": "y", "signal": "bogus", "incident_type": "outage"},
                    ],
                    "maintenance": [
                        {"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T09:00:00Z"}
                    ],
                }
            }
        )
    text = "\n".join(caught.value.problems)
    assert "monitors.sensitivity" in text
    assert "monitors.items.0" in text
    assert "needs `score`" in text
    assert "monitors.items.1.signal" in text
    assert "monitors.items.1.incident_type" in text
    assert "monitors.maintenance.0" in text
    assert "end must be after start" in text

"""Severity rules with the default configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tripwire.config.respond import RespondConfig, SeverityConfig, SeverityRule
from tripwire.respond.severity import Facts, assess, criticality_of

DEFAULTS = RespondConfig()


def test_a_critical_safety_failure_is_p0() -> None:
    result = assess(DEFAULTS, Facts("safety", "standard", magnitude=2.0))
    assert result.severity == "P0"
    assert "critical safety failure" in result.because()


def test_any_safety_incident_is_at_least_p1() -> None:
    assert assess(DEFAULTS, Facts("safety", "standard", magnitude=0.1)).severity == "P1"


def test_a_medical_use_case_ranks_higher_than_a_chat_one() -> None:
    facts = {"type": "quality_regression", "magnitude": 0.6}
    chat = assess(DEFAULTS, Facts(criticality=criticality_of(DEFAULTS, "support-chat"), **facts))
    med = assess(DEFAULTS, Facts(criticality=criticality_of(DEFAULTS, "med-summary"), **facts))
    assert (chat.severity, med.severity) == ("P2", "P1")


def test_people_exposed_raise_the_severity() -> None:
    few = assess(DEFAULTS, Facts("quality_regression", "standard", 0.2, exposed_users=3))
    many = assess(DEFAULTS, Facts("quality_regression", "standard", 0.2, exposed_users=5000))
    assert (few.severity, many.severity) == ("P3", "P1")


def test_a_small_drift_is_p3_by_default() -> None:
    result = assess(DEFAULTS, Facts("availability", "standard", magnitude=0.1))
    assert result.severity == "P3"
    assert result.reasons == ()


def test_configured_criticality_wins_over_keywords() -> None:
    config = RespondConfig.model_validate({"use_cases": {"med-faq": {"criticality": "low"}}})
    assert criticality_of(config, "med-faq") == "low"
    assert criticality_of(config, "legal-drafts") == "critical"


def test_rules_are_the_users_to_write() -> None:
    config = RespondConfig(
        severity=SeverityConfig(
            default="P2",
            rules=[SeverityRule(name="latency", type=["availability"], severity="P0")],
        )
    )
    assert assess(config, Facts("availability", "low")).severity == "P0"
    assert assess(config, Facts("safety", "critical", 9.0)).severity == "P2"


def test_the_config_names_every_dangling_reference() -> None:
    bad = {
        "people": {"ann": {"notify": ["nowhere"]}},
        "schedules": {"s": {"rotations": [{"members": ["ghost"], "start": "2026-01-05"}]}},
        "escalation_policies": {"p": {"levels": [{"targets": ["schedule:missing"]}]}},
        "use_cases": {"chat": {"escalation_policy": "nope"}},
    }
    with pytest.raises(ValidationError) as info:
        RespondConfig.model_validate(bad)
    text = str(info.value)
    for part in (
        "people.ann.notify",
        "schedules.s: no person 'ghost'",
        "escalation_policies.p: schedule:missing",
        "use_cases.chat.escalation_policy",
    ):
        assert part in text

"""Severity rules with the default configuration."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tripwire.config.respond import RespondConfig, SeverityConfig, SeverityRule
from tripwire.respond.severity import Facts, assess, criticality_of, held, hint_reason
from tripwire.respond.signals import confirm_in_of, confirmed, kinds_of

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


def test_one_unconfirmed_stream_holds_a_hallucination_at_p2_but_not_a_safety_incident() -> None:
    unconfirmed = Facts("hallucination", "critical", magnitude=0.3, confirmed=False)
    asked = assess(DEFAULTS, unconfirmed)
    assert asked.severity == "P0"
    kept = held(DEFAULTS, unconfirmed, asked)
    assert kept.severity == "P2"
    assert "held at P2 until confirmed" in kept.because()
    confirmed = Facts("hallucination", "critical", magnitude=0.3, confirmed=True)
    assert held(DEFAULTS, confirmed, assess(DEFAULTS, confirmed)).severity == "P0"
    safety = Facts("safety", "critical", magnitude=0.3, confirmed=False)
    assert held(DEFAULTS, safety, assess(DEFAULTS, safety)).severity == "P0"
    low = Facts("quality_regression", "standard", magnitude=0.1, confirmed=False)
    assert held(DEFAULTS, low, assess(DEFAULTS, low)).severity == "P3"  # a cap never raises


def test_the_hold_can_be_switched_off() -> None:
    config = RespondConfig(severity=SeverityConfig(unconfirmed=None))
    facts = Facts("hallucination", "critical", magnitude=0.3, confirmed=False)
    assert held(config, facts, assess(config, facts)).severity == "P0"


def test_an_unconfirmed_small_availability_change_is_held_but_a_doubled_one_pages() -> None:
    """A latency p95 up 60 % in a critical use case asks P1 by the rules; on one unconfirmed
    stream it may be chance or a slow drift, so it is held at P2. An error rate up 150 % is
    an outage people see: it pages at once, confirmed or not."""
    small = Facts("availability", "critical", magnitude=0.6, confirmed=False)
    assert assess(DEFAULTS, small).severity == "P1"
    assert held(DEFAULTS, small, assess(DEFAULTS, small)).severity == "P2"
    sure = Facts("availability", "critical", magnitude=0.6, confirmed=True)
    assert held(DEFAULTS, sure, assess(DEFAULTS, sure)).severity == "P1"
    doubled = Facts("availability", "standard", magnitude=1.5, confirmed=False)
    assert held(DEFAULTS, doubled, assess(DEFAULTS, doubled)).severity == "P1"
    config = RespondConfig(severity=SeverityConfig(confirm_below={}))
    assert held(config, small, assess(config, small)).severity == "P1"


@pytest.mark.parametrize("size", [-1.0, float("nan"), float("inf")])
def test_a_hold_size_that_is_no_size_is_refused(size: float) -> None:
    """A negative or not-a-number size would hold nothing without a word, an infinite one
    everything (that is `confirm_types`): the config says so at load."""
    with pytest.raises(ValidationError, match="confirm_below"):
        SeverityConfig(confirm_below={"availability": size})


def test_a_hold_for_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="confirm_below"):
        SeverityConfig.model_validate({"confirm_below": {"outage": 1.0}})


def test_an_unconfirmed_alert_on_a_handful_of_events_is_held_whatever_its_type() -> None:
    """With `thin_events: 20`, seven flagged checks of a sparse series sized as a 9x surge
    are held at P2 until confirmed; the same size on dozens of checks, or confirmed, pages at
    P0. Off by default."""
    thin = RespondConfig.model_validate({"severity": {"thin_events": 20}})
    handful = Facts("safety", "standard", 8.5, confirmed=False, events=7.0)
    judged = assess(thin, handful)
    assert judged.severity == "P0"
    assert held(thin, handful, judged).severity == "P2"
    dozens = Facts("safety", "standard", 8.5, confirmed=False, events=82.0)
    assert held(thin, dozens, assess(thin, dozens)).severity == "P0"
    confirmed = Facts("safety", "standard", 8.5, confirmed=True, events=7.0)
    assert held(thin, confirmed, assess(thin, confirmed)).severity == "P0"
    errors = Facts("availability", "standard", 4.0, confirmed=False, events=6.0)
    assert held(thin, errors, assess(thin, errors)).severity == "P2"
    assert held(DEFAULTS, handful, assess(DEFAULTS, handful)).severity == "P0"


def test_no_person_may_take_the_name_tripwire_acts_under() -> None:
    with pytest.raises(ValidationError, match="the name Tripwire acts under"):
        RespondConfig.model_validate({"people": {"tripwire": {}}})


def test_a_hint_names_who_sent_it() -> None:
    assert hint_reason("detector") == "the size of the change (detector's estimate)"
    assert hint_reason("pagerduty") == "the severity pagerduty sent"


def test_availability_in_a_critical_use_case_pages_p1_by_its_size() -> None:
    """A wrong medical summary harms its reader whatever its size; a slower one by how much
    slower: a confirmed slow latency drift (p95 +16 %) in a medical use case is P2, not P1."""
    drift = assess(DEFAULTS, Facts("availability", "critical", magnitude=0.16, confirmed=True))
    outage = assess(DEFAULTS, Facts("availability", "critical", magnitude=0.6, confirmed=True))
    wrong = assess(DEFAULTS, Facts("quality_regression", "critical", magnitude=0.05))
    assert (drift.severity, outage.severity, wrong.severity) == ("P2", "P1", "P1")
    assert drift.because() == "important use case"
    assert "clear outage in a high-stakes use case (+50 %)" in outage.because()


def test_a_safety_incident_resting_on_tickets_alone_is_held_until_confirmed() -> None:
    """Inappropriate-response tickets are complaints, not flagged content: held at P2 while
    only ticket topics speak and none is confirmed; a safety filter's alert beside them, or
    the ticket detector's confirmation, lets the rules page."""
    tickets = frozenset({"ticket_topic"})
    complaints = Facts("safety", "standard", 2.0, confirmed=False, signals=tickets)
    assert held(DEFAULTS, complaints, assess(DEFAULTS, complaints)).severity == "P2"
    flagged = frozenset({"ticket_topic", "safety_trigger"})
    both = Facts("safety", "standard", 2.0, confirmed=False, signals=flagged)
    assert held(DEFAULTS, both, assess(DEFAULTS, both)).severity == "P0"
    checked = Facts("safety", "standard", 2.0, confirmed=True, signals=tickets)
    assert held(DEFAULTS, checked, assess(DEFAULTS, checked)).severity == "P0"
    off = RespondConfig.model_validate({"severity": {"confirm_signals": []}})
    assert held(off, complaints, assess(off, complaints)).severity == "P0"


def test_two_ticket_topics_do_not_confirm_each_other() -> None:
    """Ticket topics are one source (the same customers, one classifier): two chance clusters
    in two topics are one witness; a ticket topic and another monitor are two."""
    pooled = DEFAULTS.severity.confirm_signals
    topic = {"signal": "ticket_topic", "confirmed": False}
    flags = {"signal": "safety_trigger", "confirmed": False}
    two_topics = ["tickets-wrong-answer", "tickets-inappropriate"]
    assert not confirmed(["detector"] * 2, list(two_topics), [topic, topic], pooled)
    assert confirmed(["detector"] * 2, list(two_topics), [topic, topic])  # nothing pooled
    mixed = ["tickets-inappropriate", "safety-triggers"]
    assert confirmed(["detector"] * 2, list(mixed), [topic, flags], pooled)
    assert confirmed(["detector"], ["tickets-inappropriate"], [{**topic, "confirmed": True}])
    assert confirmed(["pagerduty", "detector"], [None, "tickets-x"], [{}, topic], pooled)
    assert kinds_of([topic, flags, {}]) == {"ticket_topic", "safety_trigger"}


def test_an_errors_surge_its_detector_confirms_in_minutes_may_wait_for_the_confirmation() -> None:
    """A doubled error rate pages unconfirmed, unless `confirm_within` names its type and its
    stream is dense enough that a real surge of that size is confirmed within that many
    minutes: then a chance cluster, never confirmed, never pages. A sparse stream's surge
    (confirmed in hours) pages at once. Off by default."""
    wait = RespondConfig(severity=SeverityConfig(confirm_within={"availability": 20}))
    dense = Facts("availability", "standard", 3.0, confirmed=False, confirm_in=6.0)
    assert assess(wait, dense).severity == "P1"
    assert held(wait, dense, assess(wait, dense)).severity == "P2"
    sparse = Facts("availability", "standard", 3.0, confirmed=False, confirm_in=240.0)
    assert held(wait, sparse, assess(wait, sparse)).severity == "P1"
    sure = Facts("availability", "standard", 3.0, confirmed=True, confirm_in=6.0)
    assert held(wait, sure, assess(wait, sure)).severity == "P1"
    safety = Facts("safety", "standard", 3.0, confirmed=False, confirm_in=6.0)
    assert held(wait, safety, assess(wait, safety)).severity == "P0"
    assert held(DEFAULTS, dense, assess(DEFAULTS, dense)).severity == "P1"


def test_a_hold_waits_on_the_slowest_of_its_signals() -> None:
    assert confirm_in_of([{"confirm_in": 4.0}, {"confirm_in": 90.0}]) == 90.0
    assert confirm_in_of([{"confirm_in": 4.0}, {"events": 12}]) is None
    assert confirm_in_of([]) is None


@pytest.mark.parametrize("minutes", [-1.0, float("nan"), float("inf")])
def test_a_wait_that_is_no_wait_is_refused(minutes: float) -> None:
    with pytest.raises(ValidationError, match="confirm_within"):
        SeverityConfig(confirm_within={"availability": minutes})

"""Tickets are customers' complaints sorted by a classifier, not flagged content: through the
real path (simulated events -> `replay` -> ticket-topic detector -> alert -> respond), an
incident that rests on ticket topics alone opens held at `severity.unconfirmed` whatever its
type (a safety incident from inappropriate-response tickets too) and pages at its rules'
severity once the ticket detector confirms the rise. Two topics do not confirm each other
(tests/unit/respond/test_severity.py)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.respond.test_lifecycle_replay import at, replayed
from tests.integration.respond.test_severity_evidence import severities
from tripwire.sim import Injection, Scenario, UseCase

ONSET = 2 * 1440 + 600  # Wednesday 10:00, after two healthy days
# About 35 inappropriate-response tickets a day; no safety checks, so tickets are the only
# safety evidence.
CHAT = UseCase(
    "chat", ticket_rate=0.017, ticket_topics=(("inappropriate_response", 0.3), ("not_ai", 0.7))
)


def scenario() -> Scenario:
    spike = Injection("tickets_inappropriate", "chat", ONSET, 4.0)
    return Scenario(
        seed=3,
        days=2.9,
        outputs_per_hour=300,
        use_cases=(CHAT,),
        feedback_rate=0.02,
        safety_checks=False,
        injections=(spike,),
    )


def test_a_safety_incident_from_tickets_alone_is_held_until_confirmed(tmp_path: Path) -> None:
    [incident] = replayed(tmp_path, scenario())
    assert incident["type"] == "safety"
    assert {s["monitor"] for s in incident["signals"]} == {"tickets-inappropriate"}
    opened = incident["timeline"][0]["text"]
    assert opened.startswith("Opened as P2 (one unconfirmed signal: held at P2 until confirmed")
    [confirmed] = [e for e in incident["timeline"] if "Signal confirmed" in e["text"]]
    [(before, after)] = severities(incident)
    assert before == "P2"
    assert after in {"P0", "P1"}
    assert at(confirmed["at"]) > at(incident["detected_at"])


def test_without_the_hold_the_same_tickets_page_at_open(tmp_path: Path) -> None:
    """The behaviour before the rule, still one setting away (`confirm_signals: []`)."""
    config = {"respond": {"severity": {"confirm_signals": []}}}
    [incident] = replayed(tmp_path, scenario(), config)
    assert incident["type"] == "safety"
    assert incident["timeline"][0]["text"].startswith(("Opened as P1", "Opened as P0"))

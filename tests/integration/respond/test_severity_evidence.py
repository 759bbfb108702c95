"""Severity from evidence, through the real path (simulated events -> `replay` -> detectors ->
alerts -> respond): in a critical use case a hallucination asks P0 by the written rules, but
an incident resting on one detector stream is held at P2 until its detector confirms the
change (the evidence kept growing after the alert); then the rules raise it and its pages go
out. A drop that ends as its alert fires is never confirmed and never pages at P0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.respond.test_lifecycle_replay import at, kinds, replayed
from tripwire.sim import Injection, Scenario, UseCase

DAY = 1440
MED = (UseCase("med-summary"),)


def severities(incident: dict[str, Any]) -> list[tuple[str, str]]:
    """(from, to) of every severity change."""
    changes = [e for e in incident["timeline"] if e["kind"] == "severity_changed"]
    return [(e["data"]["from"], e["data"]["to"]) for e in changes]


def test_a_sustained_groundedness_drop_opens_held_at_p2_and_rises_to_p0_once_confirmed(
    tmp_path: Path,
) -> None:
    scenario = Scenario(
        seed=3, days=1.6, outputs_per_hour=300, scored_per_hour=120, use_cases=MED,
        injections=(Injection("groundedness", "med-summary", DAY + 120, -0.2),),
    )  # fmt: skip
    [incident] = replayed(tmp_path, scenario)
    assert incident["type"] == "hallucination"
    opened = incident["timeline"][0]["text"]
    assert opened.startswith("Opened as P2 (one unconfirmed signal: held at P2 until confirmed")
    assert "hallucination in a high-stakes use case" in opened  # what the rules asked
    confirmed = [e for e in incident["timeline"] if "Signal confirmed" in e["text"]]
    assert len(confirmed) == 1
    assert severities(incident) == [("P2", "P0")]
    assert incident["severity"] == "P0"
    assert at(confirmed[0]["at"]) >= at(incident["detected_at"])


def test_a_drop_that_ends_as_its_alert_fires_stays_at_p2(tmp_path: Path) -> None:
    """The same stream, the drop over by the minute its alert fires (as a chance excess is):
    the windows after the alert show no drop, so the change is never confirmed."""
    scenario = Scenario(
        seed=3, days=1.6, outputs_per_hour=300, scored_per_hour=120, use_cases=MED,
        injections=(
            Injection("groundedness", "med-summary", DAY + 120, -0.3, duration_minutes=16),
        ),
    )  # fmt: skip
    [incident] = replayed(tmp_path, scenario)
    assert incident["type"] == "hallucination"
    assert incident["severity"] == "P2"
    assert "severity_changed" not in kinds(incident)
    assert not [e for e in incident["timeline"] if "Signal confirmed" in e["text"]]

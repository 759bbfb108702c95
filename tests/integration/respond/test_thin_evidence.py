"""A sparse rate's alarm rests on a handful of events, through the real path (simulated events
-> `replay` -> detectors -> alerts -> respond): a safety surge in a use case of 60 outputs an
hour fires on about seven flagged checks, as a chance handful does. With
`respond.severity.thin_events: 20` (off by default) it opens held at P2 and pages at the
rules' severity once its detector confirms the change; a surge over by the time it fires never
pages. A dense surge's alert counts dozens and opens at P0 at once (test_lifecycle_replay.py,
the 3x safety surge)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.respond.test_lifecycle_replay import DAY, at, kinds, replayed
from tests.integration.respond.test_severity_evidence import severities
from tripwire.sim import Injection, Scenario, UseCase

SMALL = (UseCase("contracts"),)  # 1 % of outputs flagged: about one flagged check in 100 min
THIN = {"respond": {"severity": {"thin_events": 20}}}  # off by default (docs/detect.md)


def sparse(duration: int | None) -> Scenario:
    surge = Injection("safety", "contracts", DAY + 600, 10.0, duration_minutes=duration)
    return Scenario(seed=1, days=2.2, outputs_per_hour=60, use_cases=SMALL, injections=(surge,))


def test_a_sparse_safety_surge_opens_held_at_p2_and_pages_p0_once_confirmed(
    tmp_path: Path,
) -> None:
    [incident] = replayed(tmp_path, sparse(None), THIN)
    assert incident["type"] == "safety"
    opened = incident["timeline"][0]["text"]
    assert opened.startswith("Opened as P2 (one unconfirmed signal: held at P2 until confirmed")
    assert "critical safety failure" in opened  # what the rules asked
    [confirmed] = [e for e in incident["timeline"] if "Signal confirmed" in e["text"]]
    assert severities(incident) == [("P2", "P0")]
    assert at(confirmed["at"]) > at(incident["detected_at"])
    # The P0 steps run from the rise, so the legal deadline is an hour after the confirmation.
    [legal] = [t for t in incident["tasks"] if t["title"] == "Notify legal and leadership"]
    assert at(legal["due_at"]) >= at(confirmed["at"])


def test_a_sparse_surge_over_as_its_alert_fires_never_pages(tmp_path: Path) -> None:
    """An hour of flagged checks, then none above normal: the windows after the alert do not
    keep the evidence growing, so the handful that crossed the line is never confirmed."""
    [incident] = replayed(tmp_path, sparse(60), THIN)
    assert incident["type"] == "safety"
    assert incident["severity"] == "P2"
    assert "severity_changed" not in kinds(incident)
    assert not [e for e in incident["timeline"] if "Signal confirmed" in e["text"]]


def test_a_held_errors_surge_rises_to_its_size_once_confirmed(tmp_path: Path) -> None:
    """Errors 10x in the same small use case: the alert counts a handful of failed outputs and
    is held; once confirmed it pages at the severity its size asks (the detector's estimate,
    as at open), not only at what the written rules say (P1, doubled)."""
    surge = Injection("errors", "contracts", DAY + 600, 10.0)
    scenario = Scenario(seed=1, days=2.2, outputs_per_hour=60, use_cases=SMALL, injections=(surge,))
    [incident] = replayed(tmp_path, scenario, THIN)
    assert incident["type"] == "availability"
    opened = incident["timeline"][0]["text"]
    assert opened.startswith("Opened as P2 (one unconfirmed signal: held at P2 until confirmed")
    assert severities(incident) == [("P2", "P0")]
    [rise] = [e for e in incident["timeline"] if e["kind"] == "severity_changed"]
    assert "the size of the change" in rise["text"]

"""A small availability change on one detector stream is held at P2 and raised to its rules'
severity once its detector confirms it, through the real path (simulated events -> `replay`
-> detectors -> alerts -> respond). No alert is built by hand."""

from __future__ import annotations

from pathlib import Path

from tests.integration.respond.test_lifecycle_replay import DAY, kinds, replayed
from tripwire.sim import Injection, Scenario, UseCase


def test_a_held_latency_rise_is_raised_once_its_detector_confirms_it(tmp_path: Path) -> None:
    """Latencies 1.4 times slower for ten hours in a medical use case (p95 reported up 89 %):
    the rules ask P1 (an outage of +50 % or more in a high-stakes use case), the rise is
    under a doubling on one unconfirmed stream, so it opens held at P2; the rise holds, the
    p95 detector confirms it, and the incident is raised to P1. Before the fix the
    confirmation lost its rule and it stayed P2."""
    scenario = Scenario(
        seed=4, days=4.1, outputs_per_hour=1200, use_cases=(UseCase("med-notes"),),
        injections=(Injection("latency", "med-notes", 3 * DAY + 120, 1.4, duration_minutes=600),),
    )  # fmt: skip
    incidents = replayed(tmp_path, scenario)
    held = [i for i in incidents if i["type"] == "availability"]
    assert len(held) == 1, [(i["id"], i["type"], i["title"]) for i in incidents]
    [incident] = held
    opened = next(e for e in incident["timeline"] if e["kind"] == "opened")
    assert "held at P2" in opened["text"], opened["text"]
    # P1 by its size: a smaller slowdown of a medical use case asks P2 (`config.respond`).
    assert "clear outage in a high-stakes use case (+50 %)" in opened["text"], opened["text"]
    assert "severity_changed" in kinds(incident), kinds(incident)
    assert incident["severity"] == "P1"

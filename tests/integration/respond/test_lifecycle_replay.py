"""Incidents with hysteresis, memory and evidence, through the real path: simulated events ->
`replay` -> detectors -> alerts -> respond -> playbooks. No alert is built by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.conftest import FAR_AHEAD, T0
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.respond.views import detail_json
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, UseCase, simulate
from tripwire.store.tables.respond import IncidentRow

DAY = 1440
CHAT = (UseCase("chat"),)


def replayed(tmp: Path, scenario: Scenario, config: dict[str, Any] | None = None) -> list[Any]:
    """Every incident (detail JSON, as the API shows it) after replaying the scenario."""
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'tw.db'}",
        workers=False,
        event_max_future=FAR_AHEAD,
        event_max_age=FAR_AHEAD,
    )
    rt = Runtime.open(settings, parse_config(config or {}), ManualClock(T0))
    try:
        rt.replay([EVENT_ADAPTER.validate_python(e) for e in simulate(scenario).events])
        with rt.db.session() as session:
            rows = session.scalars(select(IncidentRow).order_by(IncidentRow.number))
            return [detail_json(session, row) for row in rows]
    finally:
        rt.close()


def kinds(incident: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in incident["timeline"]]


def tasks(incident: dict[str, Any]) -> list[str]:
    return [t["title"] for t in incident["tasks"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_flapping_nine_hour_regression_is_one_incident(tmp_path: Path) -> None:
    """Five one-hour drops of the quality score an hour apart: the alert clears and fires
    again each time, and the incident goes to monitoring and back instead of a new one."""
    pulses = tuple(
        Injection("quality", "chat", DAY + 120 + k * 120, -0.3, duration_minutes=60)
        for k in range(5)
    )
    scenario = Scenario(
        seed=4, days=1.5, outputs_per_hour=300, scored_per_hour=120, use_cases=CHAT,
        injections=pulses,
    )  # fmt: skip
    incidents = replayed(tmp_path, scenario)
    assert len(incidents) == 1, [(i["id"], i["title"]) for i in incidents]
    [incident] = incidents
    assert incident["type"] == "quality_regression"
    assert kinds(incident).count("mitigated") >= 3  # it did clear between the pulses...
    assert kinds(incident).count("reopened") >= 3  # ...and came back to the same incident


def test_a_stale_open_incident_does_not_swallow_a_new_problem(tmp_path: Path) -> None:
    """A safety burst's incident is left open (nobody resolves it, auto-resolution off); a
    new safety surge two days later opens its own incident, with its own pages and playbook."""
    scenario = Scenario(
        seed=6, days=3.6, outputs_per_hour=300, use_cases=CHAT,
        injections=(
            Injection("safety", "chat", DAY + 300, 10.0, duration_minutes=30),
            Injection("safety", "chat", 3 * DAY + 300, 10.0),
        ),
    )  # fmt: skip
    first, second = replayed(tmp_path, scenario, {"respond": {"auto_resolve": False}})
    assert first["status"] == "triggered"  # still open when the second problem begins
    assert at(second["started_at"]) - at(first["started_at"]) > timedelta(days=1.5)
    assert second["type"] == "safety"
    assert [s["state"] for s in second["signals"]] == ["firing"]
    assert "playbook_step" in kinds(second)
    assert "Signal fired again" not in " ".join(e["text"] for e in first["timeline"])


def test_the_type_follows_the_evidence_and_the_new_playbook_runs(tmp_path: Path) -> None:
    """A quality regression whose first signal is a groundedness drop opens as a
    hallucination; when the deeper quality-score drop joins, it becomes a quality regression
    with the reason shown, and the quality-regression playbook's steps are added."""
    scenario = Scenario(
        seed=5, days=1.4, outputs_per_hour=300, scored_per_hour=120, use_cases=CHAT,
        injections=(
            Injection("groundedness", "chat", DAY + 60, -0.25),
            Injection("quality", "chat", DAY + 80, -0.35),
            Injection("negative_feedback", "chat", DAY + 80, 2.0),
        ),
    )  # fmt: skip
    [incident] = replayed(tmp_path, scenario)
    assert incident["type"] == "quality_regression"
    assert "explained by refusals or the quality drop" in incident["type_reason"]
    [change] = [e for e in incident["timeline"] if e["kind"] == "type_changed"]
    assert (change["data"]["from"], change["data"]["to"]) == ("hallucination", "quality_regression")
    assert "Mitigate while a fix is prepared" in " ".join(tasks(incident))
    extended = [e["text"] for e in incident["timeline"] if e["kind"] == "playbook"]
    assert any("extended (type hallucination -> quality_regression)" in t for t in extended)


def test_a_3x_safety_surge_opens_as_p0_with_the_legal_step(tmp_path: Path) -> None:
    """The severity rules apply at open. A filter that flags 3 % of outputs gives the detector
    enough triggered checks to size the surge at open (at 1 % and 600 outputs an hour the
    estimate from the first dozen checks is too rough for a 2.5x line: docs/respond.md)."""
    scenario = Scenario(
        seed=1, days=2.2, outputs_per_hour=600, use_cases=(UseCase("chat", safety_rate=0.03),),
        injections=(Injection("safety", "chat", DAY + 600, 3.0),),
    )  # fmt: skip
    [incident] = replayed(tmp_path, scenario)
    assert (incident["type"], incident["severity"]) == ("safety", "P0")
    opened = incident["timeline"][0]
    assert opened["kind"] == "opened"
    assert opened["text"].startswith("Opened as P0 (critical safety failure")
    assert "severity_changed" not in kinds(incident)  # P0 at open, not 15 minutes later
    [legal] = [t for t in incident["tasks"] if t["title"] == "Notify legal and leadership"]
    assert at(legal["due_at"]) == at(incident["detected_at"]) + timedelta(hours=1)


def test_a_later_rule_crossing_on_a_firing_monitor_joins_its_incident(tmp_path: Path) -> None:
    """An error rate 13x its normal for nine hours: the CUSUM fires within the hour, the 6x
    burn-rate rule hours later with an onset estimate far outside the join window. The errors
    monitor is still firing, so the burn-rate alert is the same problem continuing: one
    incident with both signals, not a duplicate."""
    scenario = Scenario(
        seed=2, days=1.9, outputs_per_hour=600, use_cases=CHAT,
        injections=(Injection("errors", "chat", DAY + 120, 13.0, duration_minutes=540),),
    )  # fmt: skip
    incidents = replayed(tmp_path, scenario)
    assert len(incidents) == 1, [(i["id"], i["title"]) for i in incidents]
    [incident] = incidents
    assert incident["type"] == "availability"
    keys = {s["dedup_key"] for s in incident["signals"]}
    assert "detect:errors:chat:burn_rate" in keys, keys
    starts = sorted(at(s["started_at"]) for s in incident["signals"])
    assert starts[-1] - starts[0] > timedelta(hours=2)  # outside the join window: continues


def test_a_rolled_back_version_releases_its_incident(tmp_path: Path) -> None:
    """Errors surge on a new prompt version (half the traffic), rolled back four hours later:
    the version serves no more, so its segment alert can never gather recovery evidence. It is
    retired (resolved) once the use case has served enough outputs without that version, the
    incident resolves, and an errors surge of the whole use case two days later opens its own
    incident instead of joining the old one as "the errors monitor still firing"."""
    rollout = Injection(
        "errors", "chat", DAY + 120, 10.0, duration_minutes=240,
        segment={"prompt_version": "v2"}, segment_share=0.5, rollback=True,
    )  # fmt: skip
    later = Injection("errors", "chat", 3 * DAY + 120, 10.0, duration_minutes=180)
    scenario = Scenario(
        seed=3, days=3.6, outputs_per_hour=600, use_cases=CHAT, injections=(rollout, later)
    )
    incidents = replayed(tmp_path, scenario)
    assert len(incidents) == 2, [(i["id"], i["title"], i["status"]) for i in incidents]
    first, second = incidents
    segment = next(s for s in first["signals"] if s["segment"])
    assert segment["state"] == "resolved"
    # Retired soon after the rollback, not when the next problem came.
    assert at(segment["resolved_at"]) < at(first["started_at"]) + timedelta(hours=8)
    assert first["status"] == "resolved"
    assert at(second["started_at"]) - at(first["started_at"]) > timedelta(days=1.5)
    assert second["type"] == "availability"


def test_a_new_drop_after_the_incident_cleared_is_not_its_return(tmp_path: Path) -> None:
    """A two-hour thumbs-down rise opens a quality incident that clears and auto-resolves;
    a quality-score drop that begins after that (within the reopen window) is a new problem
    of the same type, not the old one back: two incidents. (Same-monitor returns still
    reopen: see the flapping test above.)"""
    rise = Injection("negative_feedback", "chat", DAY + 120, 3.0, duration_minutes=120)
    drop = Injection("quality", "chat", DAY + 410, -0.3, duration_minutes=180)
    scenario = Scenario(
        seed=5, days=1.9, outputs_per_hour=600, scored_per_hour=120, use_cases=CHAT,
        injections=(rise, drop),
    )  # fmt: skip
    incidents = replayed(tmp_path, scenario)
    assert len(incidents) == 2, [(i["id"], i["title"]) for i in incidents]
    first, second = incidents
    cleared = max(at(s["resolved_at"]) for s in first["signals"])
    assert at(second["started_at"]) > cleared
    # Inside the reopen window of the first incident's resolution: the case the rule decides.
    resolved = max(at(e["at"]) for e in first["timeline"] if e["kind"] == "resolved")
    assert at(second["started_at"]) - resolved < timedelta(hours=2)
    assert "reopened" not in kinds(first)
    assert [s["monitor"] for s in second["signals"]] == ["quality-score"]

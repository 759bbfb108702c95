"""A spike of wrong-answer tickets, through `tripwire replay`, opens a hallucination incident."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tripwire.cli.main import app
from tripwire.sim import Injection, Scenario, UseCase, simulate, write_jsonl

ONSET = 2 * 1440 + 600  # Wednesday 10:00, after two healthy days


def test_a_wrong_answer_ticket_spike_opens_an_incident(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp_path = tmp_path_factory.mktemp("tickets")
    scenario = Scenario(
        seed=3,
        days=2.9,
        outputs_per_hour=300,
        # about 30 wrong-answer tickets a day; no safety checks and few ratings keep it small
        use_cases=(UseCase("chat", ticket_rate=0.017),),
        feedback_rate=0.02,
        safety_checks=False,
        injections=(
            Injection("tickets_wrong_answer", "chat", ONSET, 4.0, duration_minutes=10 * 60),
        ),
    )
    path = tmp_path / "events.jsonl"
    write_jsonl(simulate(scenario).events, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRIPWIRE_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
        patch.chdir(tmp_path)
        result = CliRunner().invoke(app, ["replay", str(path), "--json"])
    assert result.exit_code == 0, result.output
    incidents = json.loads(result.stdout.strip().splitlines()[-1])["incidents"]
    onset = scenario.start + timedelta(minutes=ONSET)
    spikes = [
        i for i in incidents if any(s["monitor"] == "tickets-wrong-answer" for s in i["signals"])
    ]
    assert len(spikes) == 1, incidents
    spike = spikes[0]
    assert spike["use_case"] == "chat"
    assert spike["type"] == "hallucination"
    detected = spike["detected_at"]
    assert onset.isoformat().replace("+00:00", "Z") <= detected
    assert detected <= (onset + timedelta(hours=6)).isoformat().replace("+00:00", "Z")

"""Detection through `tripwire replay` on simulated traffic, state that survives a restart, and
`tripwire detect-series`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tripwire.cli.main import app
from tripwire.config.file import TripwireConfig
from tripwire.detect.persist import list_alerts
from tripwire.detect.stage import DetectStage
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock
from tripwire.sim import Injection, Scenario, UseCase, simulate, write_jsonl
from tripwire.store.db import Database
from tripwire.store.tables.detect import DetectorStateRow, DetectWindowRow

ONSET = 2 * 1440 + 30


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp_path = tmp_path_factory.mktemp("replay")
    scenario = Scenario(
        seed=11,
        days=2.2,  # the burst, and the recovery with its cool-down
        outputs_per_hour=300,
        use_cases=(UseCase("chat"),),
        injections=(Injection("safety", "chat", ONSET, 10.0, duration_minutes=60),),
    )
    path = tmp_path / "events.jsonl"
    write_jsonl(simulate(scenario).events, path)
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRIPWIRE_DATABASE_URL", url)
        patch.chdir(tmp_path)
        result = CliRunner().invoke(app, ["replay", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["events"] > 10_000
    return url


def test_replay_raises_the_safety_alert_on_event_time(replayed: str) -> None:
    db = Database(replayed)
    with db.session() as session:
        alerts = list_alerts(session)
        assert [(a.monitor, a.incident_type, a.use_case) for a in alerts] == [
            ("safety-triggers", "safety", "chat")
        ]
        alert = alerts[0]
        onset = datetime(2026, 11, 18, 0, 30, tzinfo=UTC)
        assert 0 <= (alert.detected_at - onset).total_seconds() <= 30 * 60
        assert abs((alert.started_at - onset).total_seconds()) <= 15 * 60
        assert alert.observed is not None
        assert alert.baseline is not None
        assert alert.observed > 4 * alert.baseline
        assert alert.resolved_at is not None  # the burst ended and the alert cleared
        assert session.scalar(select(func.count()).select_from(DetectWindowRow)) > 0
    db.dispose()


def test_a_restarted_stage_resumes_from_the_stored_state(replayed: str) -> None:
    db = Database(replayed)
    with db.session() as session:
        states = session.scalar(select(func.count()).select_from(DetectorStateRow))
        assert states
        assert states < 100
        stage = DetectStage(TripwireConfig())

        class Ctx:
            def __init__(self) -> None:
                self.session = session
                self.clock = ManualClock(datetime(2026, 11, 18, 3, 0, tzinfo=UTC))
                self.ticket_topics: dict[str, str] = {}
                self.alerts: list[Alert] = []

        stage.tick(Ctx())
        series = stage.engine.series[("safety-triggers", "chat", "", "", "")]
        assert series.rate is not None
        assert series.rate.ready()
    db.dispose()


def test_detect_series_scores_a_csv(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    rows = ["timestamp,value"] + [
        f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z,{10 + (i % 7) * 0.1}" for i in range(300)
    ]
    rows[250] = rows[250].rsplit(",", 1)[0] + ",60"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["detect-series", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "timestamp,value,anomaly_score"
    assert len(lines) == 301
    scores = [float(line.rsplit(",", 1)[1]) for line in lines[1:]]
    assert all(0 <= s <= 1 for s in scores)
    assert scores[249] == max(scores) or scores[249] > 0.9
    assert lines[250].startswith("2026-01-01T00:04:09Z,60,")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("time,value\n1,2\n", "header must be `timestamp,value`"),
        ("timestamp,value\n1,abc\n", "line 2: value 'abc' is not a number"),
        ("timestamp,value\n1,2,3\n", "line 2: expected 2 columns"),
        ("timestamp,value\n1,nan\n", "must be finite"),
        ("timestamp,value\n", "no data rows"),
    ],
)
def test_detect_series_refuses_bad_csv_with_exit_2(tmp_path: Path, text: str, message: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["detect-series", str(source), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "o").exists()

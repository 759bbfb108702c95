from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from tripwire.cli.main import app
from tripwire.evaluate.tickets.classifier import builtin_dataset

runner = CliRunner()
ENV = {"TRIPWIRE_CONFIG": None}


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_it_prints_one_topic_per_ticket(tmp_path: Path) -> None:
    tickets = write_jsonl(
        tmp_path / "t.jsonl",
        [
            {"id": "a", "text": "The assistant insulted me and used a slur"},
            {"id": "b", "text": "Requests time out with 504 since noon", "subject": "Outage"},
            {"id": "c", "text": "It told me the refund window is 90 days, it's 30"},
        ],
    )
    result = runner.invoke(app, ["classify-tickets", str(tickets)], env=ENV)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["id"], x["topic"]) for x in lines] == [
        ("a", "inappropriate_response"),
        ("b", "availability"),
        ("c", "wrong_answer"),
    ]
    assert all(0 < x["confidence"] <= 1 for x in lines)
    assert set(lines[0]) == {"id", "topic", "confidence"}


def test_bad_input_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(app, ["classify-tickets", str(path)], env=ENV)
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert "line 3" in result.stderr
    assert result.stdout == ""
    missing = runner.invoke(app, ["classify-tickets", str(tmp_path / "nope.jsonl")], env=ENV)
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr


def test_a_team_retrains_and_points_the_config_at_its_model(tmp_path: Path) -> None:
    with builtin_dataset().open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:300]
    labelled = tmp_path / "ours.csv"
    with labelled.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["text", "subject", "topic"])
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "model.json"
    result = runner.invoke(app, ["tickets", "train", str(labelled), "--out", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["accuracy"] > 0.7
    assert report["test"] == 60
    assert json.loads(out.read_text("utf-8"))["format"] == "tripwire-ticket-model"
    config = tmp_path / "tripwire.yaml"
    config.write_text(f"evaluate:\n  tickets:\n    model: {out}\n", encoding="utf-8")
    tickets = write_jsonl(tmp_path / "t.jsonl", [{"id": 1, "text": "charged twice, refund pls"}])
    result = runner.invoke(
        app, ["classify-tickets", str(tickets), "--config", str(config)], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["topic"] == "not_ai"


def test_training_refuses_an_unknown_topic(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.csv"
    labelled.write_text("text,subject,topic\nhello,,billing\n", encoding="utf-8")
    result = runner.invoke(app, ["tickets", "train", str(labelled)], env=ENV)
    assert result.exit_code == 2
    assert "line 2" in result.stderr
    assert "billing" in result.stderr

"""`tripwire replay` and `tripwire config validate`, run in-process with CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from tests.events_data import valid
from tests.serve_proc import clean_env
from tripwire.cli.main import app
from tripwire.store.db import Database
from tripwire.store.tables.events import EventRow

runner = CliRunner()


def cli(*args: str, env: dict[str, str]) -> Result:
    return runner.invoke(app, list(args), env=env)


def write_jsonl(path: Path, lines: list[Any]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    return path


def stored_ids_in_seq_order(db: Path) -> list[str]:
    """The ids of events from the file (not the scores evaluators derived), in arrival order."""
    database = Database(f"sqlite:///{db}")
    try:
        with database.session() as session:
            query = select(EventRow.id).where(EventRow.origin == "ingest").order_by(EventRow.seq)
            return list(session.scalars(query))
    finally:
        database.dispose()


def at(minute: int, kind: str = "metric", **changes: Any) -> dict[str, Any]:
    return valid(kind, id=f"{kind}-{minute}", ts=f"2026-11-20T09:{minute:02d}:00Z", **changes)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path / "replay.db")


def test_replay_stores_in_ts_order_and_prints_the_summary_last(
    tmp_path: Path, env: dict[str, str]
) -> None:
    events = [at(30), at(5, "output"), "", at(17, "feedback"), at(5, "safety")]
    result = cli("replay", str(write_jsonl(tmp_path / "e.jsonl", events)), "--json", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"events": 4, "incidents": []}
    assert "replayed 4 events: 4 stored, 0 already known" in result.stderr
    ids = stored_ids_in_seq_order(tmp_path / "replay.db")
    assert ids == ["output-5", "safety-5", "feedback-17", "metric-30"]


def test_replay_run_twice_stores_nothing_new(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [at(m) for m in range(10)])
    assert cli("replay", str(path), env=env).exit_code == 0
    again = cli("replay", str(path), env=env)
    assert again.exit_code == 0, again.stderr
    assert "10 events: 0 stored, 10 already known" in again.stderr
    assert len(stored_ids_in_seq_order(tmp_path / "replay.db")) == 10


def test_replay_names_the_line_of_each_bad_event_and_loads_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    lines = [at(1), "{not json", at(2), at(3, "output", model=""), {"type": "nope"}, at(4)]
    result = cli("replay", str(write_jsonl(tmp_path / "bad.jsonl", lines)), env=env)
    assert result.exit_code == 2
    assert "nothing was loaded" in result.stderr
    assert "line 2: not valid JSON" in result.stderr
    assert "line 4 (id 'output-3'): model:" in result.stderr
    assert "line 5: type: must be one of" in result.stderr
    assert "line 1" not in result.stderr
    assert (
        not (tmp_path / "replay.db").exists()
        or stored_ids_in_seq_order(tmp_path / "replay.db") == []
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"\xff\xfe\x00", "not UTF-8")],
)
def test_replay_explains_unreadable_files(
    tmp_path: Path, env: dict[str, str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    if content is not None:
        path.write_bytes(content)
    result = cli("replay", str(path), env=env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_config_validate_prints_every_error_with_its_path(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = tmp_path / "tripwire.yaml"
    path.write_text("service_name: [1, 2]\nnot_a_section: {}\nalso_wrong: 3\n", encoding="utf-8")
    result = cli("config", "validate", "--config", str(path), env=env)
    assert result.exit_code == 2
    for expected in ("service_name:", "not_a_section:", "also_wrong:"):
        assert expected in result.stderr, result.stderr
    assert str(path) in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: [", "YAML syntax"), ("- 1\n- 2\n", "must be a mapping")],
)
def test_config_validate_explains_unreadable_files(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    path = tmp_path / "tripwire.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("config", "validate", "--config", str(path), env=env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_config_validate_accepts_a_good_file_and_no_file(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = tmp_path / "tripwire.yaml"
    path.write_text("service_name: Acme AI\n", encoding="utf-8")
    ok = cli("config", "validate", "--config", str(path), env=env)
    assert ok.exit_code == 0, ok.stderr
    assert "OK" in ok.stdout
    missing = cli("config", "validate", "--config", str(tmp_path / "nope.yaml"), env=env)
    assert missing.exit_code == 2
    assert "file not found" in missing.stderr

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tripwire.cli.main import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_set_get_kill_and_history_from_the_command_line(cli: CliRunner) -> None:
    r = cli.invoke(app, ["flags", "set", "chat.enabled", "true", "--use-case", "support-chat"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(app, ["flags", "kill", "chat.enabled", "--reason", "jailbreak", "--by", "ana"])
    assert r.exit_code == 0, r.output
    assert "KILLED" in r.output
    r = cli.invoke(app, ["flags", "get", "chat.enabled", "--json"])
    assert json.loads(r.output)["value"] is False
    r = cli.invoke(app, ["flags", "history", "chat.enabled", "--json"])
    latest = json.loads(r.output)[0]
    assert (latest["actor"], latest["reason"], latest["old"], latest["new"]) == (
        "ana",
        "jailbreak",
        True,
        False,
    )


def test_history_shows_values_as_json_like_the_list(cli: CliRunner) -> None:
    cli.invoke(app, ["flags", "set", "chat.enabled", "true", "--reason", "launch"])
    cli.invoke(app, ["flags", "kill", "chat.enabled", "--reason", "jailbreak", "--by", "ana"])
    r = cli.invoke(app, ["flags", "history", "chat.enabled"])
    assert r.exit_code == 0, r.output
    assert "ana: true -> false  (jailbreak)" in r.output
    assert "null -> true  (launch)" in r.output


def test_bad_input_exits_2_with_a_message(cli: CliRunner) -> None:
    cli.invoke(app, ["flags", "set", "chat.prompt", "v14", "--variants", "v13,v14"])
    r = cli.invoke(app, ["flags", "set", "chat.prompt", "v99"])
    assert r.exit_code == 2
    assert "not one of its variants" in r.output
    r = cli.invoke(app, ["flags", "kill", "chat.prompt", "--reason", "x"])
    assert r.exit_code == 2
    assert "kill_value" in r.output
    r = cli.invoke(app, ["flags", "get", "missing"])
    assert r.exit_code == 2


def test_flags_declared_in_tripwire_yaml_appear_once_and_are_not_overwritten(
    cli: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "tripwire.yaml").write_text(
        "flags:\n  declare:\n"
        "    - {key: chat.kill, value: false, kill_value: true, use_case: support-chat}\n"
    )
    r = cli.invoke(app, ["flags", "list", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["flags"][0]["kill_value"] is True
    cli.invoke(app, ["flags", "kill", "chat.kill", "--reason", "test"])
    r = cli.invoke(app, ["flags", "get", "chat.kill", "--json"])
    assert json.loads(r.output)["value"] is True

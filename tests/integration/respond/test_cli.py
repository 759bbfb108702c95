"""The incidents and oncall commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.integration.respond.conftest import respond_config
from tripwire.cli.main import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "tripwire.yaml"
    config.write_text(yaml.safe_dump(respond_config()), encoding="utf-8")
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TRIPWIRE_CONFIG", str(config))
    # The config's webhook is a loopback test address, refused unless allowed.
    monkeypatch.setenv("TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS", "true")
    return config


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_declare_ack_resolve_and_list(env: Path) -> None:
    code, out, _ = run(
        "incidents",
        "declare",
        "--type",
        "safety",
        "--title",
        "Jailbreak spreading",
        "--use-case",
        "chat",
    )
    assert code == 0, out
    assert "INC-1 opened as P1" in out
    assert run("incidents", "ack", "INC-1", "--by", "alice")[1].startswith("INC-1 is acknowledged")
    assert run("incidents", "resolve", "INC-1")[0] == 0
    code, out, _ = run("incidents", "list", "--json")
    [incident] = json.loads(out)["incidents"]
    assert (incident["status"], incident["type"]) == ("resolved", "safety")
    code, out, _ = run("incidents", "show", "INC-1")
    assert "Acknowledged by alice" in out


def test_bad_input_exits_2_with_a_message(env: Path) -> None:
    code, _, err = run("incidents", "list", "--status", "open-ish")
    assert code == 2
    assert "unknown status 'open-ish'" in err
    code, _, err = run("incidents", "ack", "INC-7")
    assert code == 2
    assert "no incident INC-7" in err
    run("incidents", "declare", "--type", "availability", "--title", "x", "--severity", "P1")
    run("incidents", "resolve", "INC-1")
    code, _, err = run("incidents", "close", "INC-1")
    assert code == 2
    assert "post-incident review" in err


def test_who_is_on_call_now(env: Path) -> None:
    code, out, _ = run("oncall", "now")
    assert code == 0
    assert "primary: alice until" in out
    code, out, _ = run(
        "oncall",
        "override",
        "primary",
        "bob",
        "--from",
        "2020-01-01T00:00:00Z",
        "--to",
        "2100-01-01T00:00:00Z",
    )
    assert code == 0, out
    code, out, _ = run("oncall", "now", "--json")
    primary = json.loads(out)["schedules"][0]
    assert primary["on_call"]["person"] == "bob"
    assert run("oncall", "shifts", "nope")[0] == 2

"""`tripwire evals run|gate`: the incident's case, asked of a candidate, fails the bad answer
and passes the fixed one, against a local command and a local OpenAI-compatible server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.learn.test_postmortem_and_evals import incident_with_output
from tests.openai_stub import openai_stub
from tripwire.cli.main import app

BAD = "The refund window is 90 days."
FIXED = "Refunds are accepted within 30 days of purchase."


def add_case(client: TestClient, cast: Cast) -> str:
    """The hallucination incident of the refund window, with its regression case."""
    ident = incident_with_output(client, cast)
    r = client.post(
        f"/v1/incidents/{ident}/eval-cases",
        json={
            "output_id": "out-1",
            "assertions": [
                {"type": "icontains", "value": "30 days"},
                {"type": "not-icontains", "value": "90 days"},
                {"type": "not-is-refusal"},
                {"type": "grounded"},
            ],
        },
        headers=cast.auth("respond"),
    )
    assert r.status_code == 201, r.text
    return ident


def answering(tmp_path: Path, name: str, answer: str) -> str:
    """A `cmd:` target: a script that reads the prompt and answers `answer`."""
    script = tmp_path / f"{name}.py"
    script.write_text(
        "import sys\n"
        "prompt = sys.stdin.read()\n"
        "assert 'What is the refund window?' in prompt and 'within 30 days' in prompt\n"
        f"print({answer!r})\n"
    )
    return f"cmd:{sys.executable} {script}"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    monkeypatch.delenv("TRIPWIRE_EVAL_TARGET", raising=False)
    return CliRunner()


def test_the_gate_fails_the_bad_command_and_passes_the_fixed_one(
    client: TestClient, cast: Cast, cli: CliRunner, tmp_path: Path
) -> None:
    ident = add_case(client, cast)
    bad = cli.invoke(app, ["evals", "gate", "--target", answering(tmp_path, "bad", BAD)])
    assert bad.exit_code == 1, bad.output
    assert f"FAILED case 1 of {ident}" in bad.stderr
    assert "90 days" in bad.stderr
    fixed = cli.invoke(app, ["evals", "gate", "--target", answering(tmp_path, "fixed", FIXED)])
    assert fixed.exit_code == 0, fixed.stderr
    assert "eval gate passed: 1 passed, 0 failed" in fixed.stderr


def test_the_gate_asks_an_openai_compatible_endpoint(
    client: TestClient, cast: Cast, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = add_case(client, cast)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with openai_stub(BAD) as stub:
        bad = cli.invoke(app, ["evals", "gate", "--json", "-t", f"openai:{stub.url}#cand-2"])
    assert bad.exit_code == 1
    verdict = json.loads(bad.stdout)
    assert verdict["status"] == "failed"
    assert verdict["failing"] == [
        {"case": 1, "incident_id": ident, "description": verdict["failing"][0]["description"]}
    ]
    [asked] = stub.requests
    assert asked["model"] == "cand-2"
    assert asked["messages"][-1] == {"role": "user", "content": "What is the refund window?"}
    assert any("within 30 days" in m["content"] for m in asked["messages"])
    assert stub.headers[0]["Authorization"] == "Bearer sk-test"
    with openai_stub(FIXED) as stub:
        fixed = cli.invoke(app, ["evals", "gate", "--json", "-t", f"openai:{stub.url}"])
    assert fixed.exit_code == 0, fixed.stderr
    assert json.loads(fixed.stdout)["passed"] == 1


def test_run_shows_each_assertion(
    client: TestClient, cast: Cast, cli: CliRunner, tmp_path: Path
) -> None:
    add_case(client, cast)
    target = answering(tmp_path, "bad", BAD)
    result = cli.invoke(app, ["evals", "run", "--json", "--target", target])
    assert result.exit_code == 0
    [case] = json.loads(result.stdout)["results"]
    verdicts = {a["type"]: a["verdict"] for a in case["assertions"]}
    assert verdicts == {
        "icontains": "fail",
        "not-icontains": "fail",
        "not-is-refusal": "pass",
        "grounded": "fail",
    }
    table = cli.invoke(app, ["evals", "run", "--target", target])
    assert table.exit_code == 0
    assert "FAIL" in table.stdout
    assert "INC-1" in table.stdout


def test_an_unreachable_target_fails_the_case(
    client: TestClient, cast: Cast, cli: CliRunner
) -> None:
    add_case(client, cast)
    result = cli.invoke(app, ["evals", "gate", "-t", "openai:http://127.0.0.1:9/v1"])
    assert result.exit_code == 1
    assert "cannot reach" in result.stderr


def test_bad_usage_exits_2(client: TestClient, cast: Cast, cli: CliRunner) -> None:
    assert cli.invoke(app, ["evals", "gate"]).exit_code == 2
    empty = cli.invoke(app, ["evals", "gate", "--target", "cmd:true"])
    assert empty.exit_code == 2
    assert "no incident test case" in empty.stderr
    assert cli.invoke(app, ["evals", "gate", "-t", "cmd:true", "--allow-empty"]).exit_code == 0
    add_case(client, cast)
    wrong = cli.invoke(app, ["evals", "gate", "--target", "ftp://x"])
    assert wrong.exit_code == 2
    assert "openai:BASE_URL" in wrong.stderr
    assert cli.invoke(app, ["evals", "run", "-t", "cmd:true", "--incident", "x1"]).exit_code == 2

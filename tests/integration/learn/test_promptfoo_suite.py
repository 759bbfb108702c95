"""The exported promptfoo suite runs under promptfoo itself: the candidate that repeats the
incident's bad answer fails, the fixed one passes (a local OpenAI-compatible stub serves both)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.learn.test_eval_gate import BAD, FIXED, add_case
from tests.openai_stub import openai_stub
from tests.promptfoo_tool import promptfoo, quiet_env
from tripwire.cli.main import app

FAILED_TESTS_EXIT = 100  # promptfoo's exit status when a test fails


def run_promptfoo(tmp_path: Path, suite: Path, base_url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    """The promptfooconfig.yaml that docs/learn.md shows, against `base_url`."""
    config = {
        "description": "Tripwire incident suite",
        "prompts": ["Context: {{context}}\n\nQuestion: {{question}}"],
        "providers": [
            {"id": "openai:chat:candidate", "config": {"apiBaseUrl": base_url, "apiKey": "k"}}
        ],
        "tests": f"file://{suite}",
    }
    path = tmp_path / "promptfooconfig.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "out.json"
    out.unlink(missing_ok=True)
    done = subprocess.run(
        [
            str(promptfoo()),
            "eval",
            "-c",
            str(path),
            "--no-cache",
            "--no-table",
            "--no-progress-bar",
            "-o",
            str(out),
        ],
        env=quiet_env(tmp_path / "promptfoo-home"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    return done.returncode, json.loads(out.read_text())["results"]


@pytest.mark.timeout(2400)
def test_promptfoo_fails_the_bad_output_and_passes_the_fixed_one(
    client: TestClient, cast: Cast, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = add_case(client, cast)
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    suite = tmp_path / "tripwire-tests.yaml"
    exported = CliRunner().invoke(
        app, ["evals", "export", "--format", "promptfoo", "-o", str(suite)]
    )
    assert exported.exit_code == 0, exported.output
    [test] = yaml.safe_load(suite.read_text())
    assert {"type": "context-faithfulness", "threshold": 0.7} in test["assert"]
    # context-faithfulness needs a model grader; this run keeps to the deterministic checks.
    test["assert"] = [a for a in test["assert"] if a["type"] != "context-faithfulness"]
    suite.write_text(yaml.safe_dump([test]))

    with openai_stub(BAD) as stub:
        code, results = run_promptfoo(tmp_path, suite, stub.url)
    assert code == FAILED_TESTS_EXIT
    assert (results["stats"]["successes"], results["stats"]["failures"]) == (0, 1)
    [row] = results["results"]
    assert row["testCase"]["metadata"]["incident_id"] == ident
    assert "90 days" in row["gradingResult"]["reason"]
    assert "What is the refund window?" in stub.requests[0]["messages"][-1]["content"]

    with openai_stub(FIXED) as stub:
        code, results = run_promptfoo(tmp_path, suite, stub.url)
    assert code == 0
    assert (results["stats"]["successes"], results["stats"]["failures"]) == (1, 0)

"""A `change` event may carry the incident suite's verdict (`eval_gate`): what `tripwire evals
gate --json` prints is accepted as is, kept in the deployment log, and shown on the overview,
on the incident's suspects and in the post-mortem's changes examined."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.learn.test_eval_gate import BAD, add_case, answering
from tests.integration.web.test_incident_pages import sign_in
from tripwire.cli.main import app


def test_the_gate_verdict_rides_on_a_change(
    client: TestClient, cast: Cast, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = add_case(client, cast)
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    gate = CliRunner().invoke(
        app, ["evals", "gate", "--json", "-t", answering(tmp_path, "bad", BAD)]
    )
    assert gate.exit_code == 1
    verdict = json.loads(gate.stdout)
    change = {"id": "chg-9", "type": "change", "ts": "2026-11-20T08:55:00Z",
              "use_case": "support-chat", "kind": "prompt_change", "version": "p15",
              "eval_gate": {**verdict, "url": "https://ci.example/run/7"}}  # fmt: skip
    r = client.post("/v1/events", json={"events": [change]}, headers=cast.auth("ingest"))
    assert r.status_code == 202, r.text
    bad = {**change, "id": "chg-10", "eval_gate": {"status": "maybe"}}
    r = client.post("/v1/events", json={"events": [bad]}, headers=cast.auth("ingest"))
    assert r.status_code == 422
    assert "eval_gate" in r.text

    h = cast.auth("respond")
    pm = client.post(f"/v1/incidents/{ident}/postmortem", headers=h).json()
    [examined] = pm["sections"]["changes_examined"]["prompt_changes"]
    assert examined["eval_gate"]["status"] == "failed"
    assert examined["eval_gate"]["failing"][0]["incident_id"] == ident
    sign_in(client, cast.read)
    assert "eval gate failed 0/1" in client.get("/ui").text

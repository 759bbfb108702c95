"""Learn through HTTP and the CLI: post-mortem, action items, eval cases, export, readiness."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tripwire.cli.main import app
from tripwire.runtime.wiring import Runtime

OUTPUT = {
    "id": "out-1",
    "type": "output",
    "ts": "2026-11-20T08:50:00Z",
    "use_case": "support-chat",
    "model": "m",
    "input": "What is the refund window?",
    "output": "The refund window is 90 days.",
    "context": ["Refunds are accepted within 30 days."],
}


def incident_with_output(client: TestClient, cast: Cast) -> str:
    assert (
        client.post(
            "/v1/events", json={"events": [OUTPUT]}, headers=cast.auth("ingest")
        ).status_code
        == 202
    )
    body = {
        "type": "hallucination",
        "title": "Wrong refund window",
        "use_case": "support-chat",
        "severity": "P1",
    }
    ident = str(client.post("/v1/incidents", json=body, headers=cast.auth("respond")).json()["id"])
    client.post(f"/v1/incidents/{ident}/resolve", json={}, headers=cast.auth("respond"))
    return ident


def test_a_postmortem_needs_a_root_cause_an_action_and_a_test_case(
    client: TestClient, cast: Cast
) -> None:
    ident = incident_with_output(client, cast)
    h = cast.auth("respond")
    draft = client.post(f"/v1/incidents/{ident}/postmortem", headers=h).json()
    assert draft["status"] == "draft"
    assert (
        any(m["kind"] == "resolved" for m in draft["sections"]["timeline"])
        or draft["sections"]["timeline"]
    )
    r = client.post(f"/v1/incidents/{ident}/postmortem/complete", headers=h)
    assert r.status_code == 409
    missing = " ".join(r.json()["missing"])
    assert "root_cause" in missing
    assert "action item" in missing
    assert "test case" in missing
    # closing a P1 is refused until the review is done
    assert client.post(f"/v1/incidents/{ident}/close", json={}, headers=h).status_code == 409

    client.patch(
        f"/v1/incidents/{ident}/postmortem", json={"root_cause": "It was human error."}, headers=h
    )
    client.post(
        f"/v1/incidents/{ident}/action-items", json={"title": "Add a refund-policy eval"}, headers=h
    )
    case = client.post(
        f"/v1/incidents/{ident}/eval-cases",
        json={
            "output_id": "out-1",
            "expected_output": "The refund window is 30 days.",
            "assertions": [
                {"type": "contains", "value": "30 days"},
                {"type": "not-contains", "value": "90 days"},
            ],
        },
        headers=h,
    )
    assert case.status_code == 201, case.text
    assert case.json()["input"] == "What is the refund window?"
    r = client.post(f"/v1/incidents/{ident}/postmortem/complete", headers=h)
    assert r.status_code == 409
    assert "human error" in " ".join(r.json()["missing"])  # blameless

    client.patch(
        f"/v1/incidents/{ident}/postmortem",
        json={"root_cause": "Prompt v14 dropped the refund policy paragraph from the context."},
        headers=h,
    )
    r = client.post(f"/v1/incidents/{ident}/postmortem/complete", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done"
    assert client.post(f"/v1/incidents/{ident}/close", json={}, headers=h).status_code == 200


def test_cases_export_to_promptfoo(client: TestClient, cast: Cast) -> None:
    ident = incident_with_output(client, cast)
    h = cast.auth("respond")
    client.post(f"/v1/incidents/{ident}/eval-cases", json={"output_id": "out-1"}, headers=h)
    r = client.get("/v1/evals/export?format=promptfoo", headers=cast.auth("read"))
    [test] = yaml.safe_load(r.text)
    assert test["vars"]["question"] == "What is the refund window?"
    assert test["vars"]["output"] == "The refund window is 90 days."
    assert test["metadata"]["incident_id"] == ident
    assert {"type": "not-icontains", "value": "The refund window is 90 days."} in test["assert"]
    deepeval = client.get("/v1/evals/export?format=deepeval", headers=cast.auth("read")).json()
    assert deepeval[0]["actual_output"] == "The refund window is 90 days."
    assert deepeval[0]["retrieval_context"] == ["Refunds are accepted within 30 days."]


def test_a_case_needs_a_real_output(client: TestClient, cast: Cast) -> None:
    ident = incident_with_output(client, cast)
    r = client.post(
        f"/v1/incidents/{ident}/eval-cases",
        json={"output_id": "nope"},
        headers=cast.auth("respond"),
    )
    assert r.status_code == 422
    assert "no stored output" in r.json()["error"]


def test_readiness_reports_what_is_missing(client: TestClient, cast: Cast) -> None:
    body = client.get("/v1/readiness", headers=cast.auth("read")).json()
    assert body["ready"] is False
    by_id = {c["id"]: c for c in body["checks"]}
    assert by_id["safety-filter"]["status"] == "fail"
    assert by_id["safety-filter"]["fix"]
    assert by_id["severity"]["status"] == "ok"


def test_the_cli_exports_and_checks_readiness(
    runtime: Runtime, db_url: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    runner = CliRunner()
    out = tmp_path / "tests.yaml"
    result = runner.invoke(app, ["evals", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text()) == []
    result = runner.invoke(app, ["readiness", "--json"])
    assert result.exit_code == 1  # nothing is sent yet: detection checks fail
    assert {c["id"] for c in json.loads(result.stdout)} >= {
        "quality-scoring",
        "oncall",
        "eval-cases",
    }
    assert runner.invoke(app, ["evals", "export", "--format", "csv"]).exit_code == 2


def test_the_cli_drafts_and_refuses_an_unfinished_postmortem(
    client: TestClient,
    cast: Cast,
    db_url: str,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    ident = incident_with_output(client, cast)
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    runner = CliRunner()
    drafted = runner.invoke(app, ["postmortem", "draft", ident])
    assert drafted.exit_code == 0, drafted.output
    assert json.loads(drafted.stdout)["incident_id"] == ident
    unfinished = runner.invoke(app, ["postmortem", "complete", ident])
    assert unfinished.exit_code == 2
    assert "root_cause" in unfinished.stderr
    assert runner.invoke(app, ["postmortem", "draft", "INC-404"]).exit_code == 2


def test_key_moments_include_the_kill_switch_flipped_for_the_incident(
    client: TestClient, cast: Cast
) -> None:
    h = cast.auth("respond")
    body = {"type": "hallucination", "title": "Bad answers", "use_case": "support-chat"}
    ident = str(client.post("/v1/incidents", json=body, headers=h).json()["id"])
    flag = {"value": True, "kill_value": False, "use_case": "support-chat"}
    assert client.put("/v1/flags/answers-on", json=flag, headers=h).status_code == 200
    killed = {"reason": "stop the bleeding", "incident_id": ident}
    assert client.post("/v1/flags/answers-on/kill", json=killed, headers=h).status_code == 200
    client.post(f"/v1/incidents/{ident}/resolve", json={}, headers=h)
    moments = client.post(f"/v1/incidents/{ident}/postmortem", headers=h).json()["sections"][
        "timeline"
    ]
    kinds = [m["kind"] for m in moments]
    assert "kill_switch" in kinds
    assert any("answers-on" in m["text"] for m in moments if m["kind"] == "kill_switch")


def test_learn_actions_are_attributed_to_the_token_never_to_the_body(
    client: TestClient, cast: Cast
) -> None:
    ident = incident_with_output(client, cast)
    h = cast.auth("respond")  # the token is named "respond"
    draft = client.post(f"/v1/incidents/{ident}/postmortem", headers=h).json()
    assert draft["author"] == "respond"
    body = {"output_id": "out-1", "by": "mallory"}
    case = client.post(f"/v1/incidents/{ident}/eval-cases", json=body, headers=h).json()
    assert case["created_by"] == "respond"
    timeline = client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()["timeline"]
    assert [e["actor"] for e in timeline if e["kind"] == "eval_case"] == ["respond"]

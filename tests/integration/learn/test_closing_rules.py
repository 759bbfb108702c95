"""No incident closes without a test case, and no review is done without a completed
post-mortem: refused alike by the API, the CLI and the UI, each saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Cast
from tests.integration.learn.test_postmortem_and_evals import incident_with_output
from tests.integration.web.test_incident_pages import sign_in
from tests.learn_helpers import add_case, complete_postmortem
from tripwire.cli.main import app
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.respond.service import Conflict, NewIncident
from tripwire.runtime.wiring import Runtime


def p3(client: TestClient, cast: Cast) -> str:
    body = {"type": "quality_regression", "title": "Terse answers", "use_case": "support-chat",
            "severity": "P3"}  # fmt: skip
    ident = str(client.post("/v1/incidents", json=body, headers=cast.auth("respond")).json()["id"])
    client.post(f"/v1/incidents/{ident}/resolve", json={}, headers=cast.auth("respond"))
    return ident


def test_the_api_refuses_to_close_without_a_case(client: TestClient, cast: Cast) -> None:
    ident = p3(client, cast)
    r = client.post(f"/v1/incidents/{ident}/close", json={}, headers=cast.auth("respond"))
    assert r.status_code == 409
    assert f"POST /v1/incidents/{ident}/eval-cases" in r.json()["error"]
    add_case(client, cast, ident)
    r = client.post(f"/v1/incidents/{ident}/close", json={}, headers=cast.auth("respond"))
    assert r.status_code == 200
    assert r.json()["status"] == "closed"


def test_the_api_refuses_the_review_without_a_completed_postmortem(
    client: TestClient, cast: Cast
) -> None:
    ident = incident_with_output(client, cast)  # a resolved P1
    h = cast.auth("respond")
    r = client.post(f"/v1/incidents/{ident}/review", json={}, headers=h)
    assert r.status_code == 409
    assert "has no post-mortem" in r.json()["error"]
    assert "postmortem/complete" in r.json()["error"]
    client.post(f"/v1/incidents/{ident}/postmortem", headers=h)
    r = client.post(f"/v1/incidents/{ident}/review", json={}, headers=h)
    assert r.status_code == 409
    assert "still a draft" in r.json()["error"]
    add_case(client, cast, ident)
    close = client.post(f"/v1/incidents/{ident}/close", json={}, headers=h)
    assert close.status_code == 409
    assert "complete its post-mortem" in close.json()["error"]
    complete_postmortem(client, cast, ident)
    assert client.post(f"/v1/incidents/{ident}/review", json={}, headers=h).status_code == 200
    assert client.post(f"/v1/incidents/{ident}/close", json={}, headers=h).status_code == 200


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", db_url)
    return CliRunner()


def test_the_cli_refuses_both(client: TestClient, cast: Cast, cli: CliRunner) -> None:
    low = p3(client, cast)
    refused = cli.invoke(app, ["incidents", "close", low])
    assert refused.exit_code == 2
    assert "no evaluation test case" in refused.stderr
    high = incident_with_output(client, cast)
    refused = cli.invoke(app, ["incidents", "review-done", high])
    assert refused.exit_code == 2
    assert f"tripwire postmortem complete {high}" in refused.stderr
    add_case(client, cast, high)
    complete_postmortem(client, cast, high)
    assert cli.invoke(app, ["incidents", "review-done", high]).exit_code == 0
    assert cli.invoke(app, ["incidents", "close", high]).exit_code == 0


def test_the_ui_refuses_both(client: TestClient, cast: Cast) -> None:
    low = p3(client, cast)
    high = incident_with_output(client, cast)
    csrf = sign_in(client, cast.respond)
    page = client.get(f"/ui/incidents/{low}").text
    assert f'action="/ui/incidents/{low}/close"' in page
    r = client.post(f"/ui/incidents/{low}/close", data={"csrf": csrf})
    assert r.status_code == 409
    assert "no evaluation test case" in r.text
    r = client.post(f"/ui/incidents/{high}/review", data={"csrf": csrf})
    assert r.status_code == 409
    assert "has no post-mortem" in r.text
    add_case(client, cast, low)
    r = client.post(f"/ui/incidents/{low}/close", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    add_case(client, cast, high)
    complete_postmortem(client, cast, high)
    r = client.post(f"/ui/incidents/{high}/close", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    statuses = [
        client.get(f"/v1/incidents/{i}", headers=cast.auth("read")).json()["status"]
        for i in (low, high)
    ]
    assert statuses == ["closed", "closed"]


def test_the_minimum_severity_is_configurable(tmp_path: Path, clock: ManualClock) -> None:
    config = parse_config({"learn": {"eval_case_min_severity": "P1"}})
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db'}", workers=False)
    rt = Runtime.open(settings, config, clock)
    try:
        with rt.db.session() as session:
            service = rt.incidents(session)
            now = clock.now()
            numbers = [
                service.open(NewIncident("safety", "t", f"uc{s}", now, now, severity=s)).number
                for s in ("P1", "P2")
            ]
            for n in numbers:
                service.resolve(n, "t")
            assert service.close(numbers[1], "t").status == "closed"
            service.mark_review_done(numbers[0], "t")  # the review rule aside
            with pytest.raises(Conflict, match="P1-or-worse"):
                service.close(numbers[0], "t")
    finally:
        rt.close()

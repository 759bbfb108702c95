"""`tripwire incidents affected-users` and the message commands on a real database."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.integration.respond.conftest import SECRET, respond_config
from tripwire.cli.main import app
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import SystemClock, isoformat_z
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.respond.service import NewIncident
from tripwire.runtime.wiring import Runtime


def config_data() -> dict[str, Any]:
    data = respond_config()
    data["respond"]["people"]["dee"] = {"notify": ["hook"]}
    data["respond"]["roles"]["communications_lead"] = {"person": "dee"}
    data["respond"]["channels"]["product"] = {
        "type": "webhook", "url": "http://127.0.0.1:9/messages", "secret": SECRET,
    }  # fmt: skip
    data["communicate"] = {"user_messages": {"channel": "product"}}
    return data


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tripwire.yaml"
    path.write_text(yaml.safe_dump(config_data()), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRIPWIRE_DATABASE_URL", url)
    monkeypatch.setenv("TRIPWIRE_CONFIG", str(path))
    monkeypatch.setenv("TRIPWIRE_ALLOW_PRIVATE_WEBHOOKS", "true")
    clock = SystemClock()
    settings = Settings(database_url=url, workers=False, allow_private_webhooks=True)
    rt = Runtime.open(settings, parse_config(config_data()), clock)
    now = clock.now()
    events = [
        {"id": f"o{i}", "type": "output", "ts": isoformat_z(now - timedelta(minutes=5)),
         "use_case": "chat", "model": "m", "user_id": user}
        for i, user in enumerate(["=cmd()", "ann", "ann", "bob"])
    ]  # fmt: skip
    events.append({"id": "early", "type": "output", "use_case": "chat", "model": "m",
                   "ts": isoformat_z(now - timedelta(hours=2)), "user_id": "eve"})  # fmt: skip
    store_events(rt.db, parse_batch(events), clock)
    with rt.db.session() as session:
        rt.incidents(session).open(
            NewIncident("availability", "Chat is down", "chat", now - timedelta(minutes=10), now)
        )
    rt.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_affected_users_as_csv_and_json(env: None) -> None:
    code, out, _ = run("incidents", "affected-users", "INC-1", "--csv")
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["user_id"], r["outputs"]) for r in rows] == [
        ("'=cmd()", "1"),
        ("ann", "2"),
        ("bob", "1"),
    ]
    code, out, _ = run("incidents", "affected-users", "INC-1", "--json")
    assert json.loads(out)["count"] == 3
    assert run("incidents", "affected-users", "INC-9")[0] == 2


def test_a_message_is_approved_by_the_lead_and_queued_per_user(env: None) -> None:
    code, out, _ = run("incidents", "message-create", "INC-1", "--json")
    assert code == 0, out
    message = json.loads(out)
    assert message["findings"] == []
    code, _, err = run("incidents", "message-approve", "INC-1", str(message["id"]), "--by", "bob")
    assert code == 2
    assert "only the communications lead (dee)" in err
    assert run("incidents", "message-approve", "INC-1", str(message["id"]), "--by", "dee")[0] == 0
    code, out, _ = run("incidents", "message-send", "INC-1", str(message["id"]), "--json")
    assert code == 0, out
    states = json.loads(out)["recipient_states"]
    assert {(r["user_id"], r["state"]) for r in states} == {
        ("=cmd()", "queued"), ("ann", "queued"), ("bob", "queued"),
    }  # fmt: skip
    code, out, _ = run("incidents", "messages", "INC-1")
    assert "ann: queued, 0 attempts" in out

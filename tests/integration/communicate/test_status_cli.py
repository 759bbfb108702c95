"""`tripwire status-page ...` on a real database: publish, update, resolve, maintenance."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from tripwire.cli.main import app

runner = CliRunner()


def test_publish_update_resolve_and_maintenance_from_the_cli(tmp_path: Path) -> None:
    env = {"TRIPWIRE_CONFIG": None, "TRIPWIRE_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.stdout

    run("incidents", "declare", "--type", "availability", "--use-case", "support-chat",
        "--title", "p95@support-chat x3")  # fmt: skip
    assert json.loads(run("status-page", "show"))["incidents"] == []
    run("status-page", "publish", "INC-1", "--title", "Slow chat", "--body", "Looking.",
        "--component", "support-chat=partial_outage", "--by", "dee")  # fmt: skip
    run("status-page", "update", "INC-1", "--status", "monitoring", "--body", "Fix deployed.")
    shown = json.loads(run("status-page", "show"))
    [incident] = shown["incidents"]
    assert incident["name"] == "Slow chat"
    assert [u["status"] for u in incident["incident_updates"]] == ["monitoring", "investigating"]
    assert shown["components"][0]["status"] == "partial_outage"
    run("status-page", "resolve", "INC-1", "--body", "Fast again.")
    assert json.loads(run("status-page", "show"))["components"][0]["status"] == "operational"
    bad = runner.invoke(app, ["status-page", "update", "INC-1", "--status", "fixed",
                              "--body", "x"], env=env)  # fmt: skip
    assert bad.exit_code == 2
    assert "status must be one of" in bad.stderr
    start = datetime.now(UTC) + timedelta(days=1)
    run("status-page", "maintenance", "--title", "Upgrade", "--body", "Short pause.",
        "--component", "support-chat", "--start", start.isoformat(),
        "--end", (start + timedelta(hours=1)).isoformat())  # fmt: skip
    assert json.loads(run("status-page", "show"))["scheduled_maintenances"][0]["name"] == "Upgrade"

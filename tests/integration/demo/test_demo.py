"""`tripwire demo --no-serve`: the whole lifecycle on a simulated product, end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tripwire.communicate.page import status_summary
from tripwire.demo.tour import describe, run_demo

pytestmark = pytest.mark.slow


def test_the_demo_detects_injected_incidents_and_closes_the_loop(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo.db", datetime(2026, 11, 27, 12, 0, tzinfo=UTC), seed=1)
    try:
        incidents = result.report["incidents"]
        types = {i["type"] for i in incidents}
        assert "safety" in types
        assert "hallucination" in types
        assert result.pages > 0, "pages reach the local webhook receiver"
        text = "\n".join(describe(result))
        assert "kill_switch" in text, "the safety playbook hits the kill switch"
        assert "post-mortem done" in text
        assert "rollback: rolled back chg-support-chat" in text, "the quality playbook rolls back"
        assert "rollback_confirmed" in text
        assert "(the injected cause)" in text
        assert any(
            s["change_id"].startswith("chg-support-chat") for i in incidents for s in i["suspects"]
        ), "the prompt change behind the feedback regression is a suspect"
        rt = result.runtime
        with rt.db.read() as session:
            public = status_summary(
                session, rt.config.communicate.status_page, rt.clock, rt.settings.public_url
            )
        names = {i["name"] for i in public["incidents"]}
        assert names, "the demo publishes its incidents on the status page"
        assert not names & {i["title"] for i in incidents}, "never under the internal title"
    finally:
        result.runtime.close()

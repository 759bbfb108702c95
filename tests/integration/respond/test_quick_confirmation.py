"""With `respond.severity.confirm_within: {availability: 20}` (off by default), an errors surge
on a dense stream waits the few minutes its detector takes to confirm it before it pages; one
on a sparse stream, whose confirmation would take hours, pages at once. Through the real path
(simulated events -> `replay` -> detectors -> alerts -> respond)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.integration.respond.test_lifecycle_replay import DAY, at, replayed
from tripwire.sim import Injection, Scenario, UseCase

WAIT = {"respond": {"severity": {"confirm_within": {"availability": 20}}}}


def _errors_surge(
    tmp: Path, per_hour: float, config: dict[str, Any] | None = WAIT
) -> dict[str, Any]:
    scenario = Scenario(
        seed=3, days=3.3, outputs_per_hour=per_hour, use_cases=(UseCase("chat"),),
        injections=(Injection("errors", "chat", 2 * DAY + 600, 10.0, duration_minutes=300),),
    )  # fmt: skip
    incidents = [i for i in replayed(tmp, scenario, config) if i["type"] == "availability"]
    assert len(incidents) == 1, [(i["id"], i["title"]) for i in incidents]
    return incidents[0]


def test_a_dense_errors_surge_pages_once_its_detector_confirms_it(tmp_path: Path) -> None:
    incident = _errors_surge(tmp_path, 1200)
    timeline = incident["timeline"]
    opened = next(e for e in timeline if e["kind"] == "opened")
    assert "held at P2" in opened["text"], opened["text"]
    risen = next(e for e in timeline if e["kind"] == "severity_changed")
    assert incident["severity"] in ("P0", "P1")
    assert at(risen["at"]) - at(opened["at"]) <= timedelta(minutes=20)


def test_without_the_setting_a_dense_errors_surge_pages_at_once(tmp_path: Path) -> None:
    incident = _errors_surge(tmp_path, 1200, None)
    timeline = incident["timeline"]
    opened = next(e for e in timeline if e["kind"] == "opened")
    assert "held at" not in opened["text"], opened["text"]


def test_a_sparse_errors_surge_pages_at_once(tmp_path: Path) -> None:
    incident = _errors_surge(tmp_path, 60)
    timeline = incident["timeline"]
    opened = next(e for e in timeline if e["kind"] == "opened")
    assert "held at" not in opened["text"], opened["text"]
    assert incident["severity"] in ("P0", "P1")

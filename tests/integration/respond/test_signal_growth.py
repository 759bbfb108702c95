"""A graver surge behind an alert that still fires is heard, through the real path (simulated
events -> `replay` -> detectors -> alerts -> respond -> playbooks). No alert is built by hand."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import FAR_AHEAD, T0
from tests.integration.respond.test_lifecycle_replay import DAY, at, kinds, replayed, tasks
from tests.integration.web.test_incident_pages import sign_in
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.detect.persist import list_alerts
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.respond.views import detail_json
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, UseCase, simulate
from tripwire.store.tables.respond import IncidentRow
from tripwire.store.tokens import create_token

LEGAL = "Notify legal and leadership"
SURGE = DAY + 720  # the graver step, ten hours after the first rise
# Safety triggers 1.6 times their normal rate from DAY + 120; at SURGE, six times more.
SCENARIO = Scenario(
    seed=3, days=1.71, outputs_per_hour=600, use_cases=(UseCase("chat", safety_rate=0.03),),
    injections=(
        Injection("safety", "chat", DAY + 120, 1.6),
        Injection("safety", "chat", SURGE, 6.0),  # on top of the first: 9.6 times normal
    ),
)  # fmt: skip


def test_a_safety_alert_that_grows_raises_its_incident_to_p0(tmp_path: Path) -> None:
    """The first rise opens a P1 safety incident; its alert still fires when the surge comes.
    The alert grows: the incident says so at once, its signal carries the larger size, and
    the rules raise it to P0 with the P0-only legal step. Before, a firing alert's detector
    was silent and the incident stayed a P1 through a tenfold surge."""
    rt = _runtime(tmp_path)
    try:
        _replay(rt, simulate(SCENARIO).events)
        with rt.db.session() as session:
            [row] = session.scalars(select(IncidentRow)).all()
            incident = detail_json(session, row)
            _, token = create_token(session, "growth", ["read"], rt.clock.now())
        with TestClient(create_app(rt, background=False)) as client:
            sign_in(client, token)
            page = client.get("/ui/incidents/INC-1").text
    finally:
        rt.close()
    opened = incident["timeline"][0]
    assert opened["text"].startswith("Opened as P1"), opened["text"]
    [grew] = [e for e in incident["timeline"] if e["text"].startswith("Signal grew")]
    surge = SCENARIO.start + timedelta(minutes=SURGE)
    assert surge <= at(grew["at"]) <= surge + timedelta(minutes=30)
    [signal] = incident["signals"]
    assert [at(t) for t in signal["grew_at"]] == [at(grew["at"])]
    assert signal["magnitude"] >= 4.0
    assert incident["severity"] == "P0"
    assert "severity_changed" in kinds(incident)
    assert LEGAL in tasks(incident)
    # The console shows when the signal grew, beside its onset and detection.
    assert "<strong>grew</strong>" in page


def test_a_surge_after_a_person_resolved_the_incident_opens_a_new_one(tmp_path: Path) -> None:
    """Someone resolves the P1 as noise while its alert still fires. The surge then grows the
    alert, and since its incident is closed to it, the surge opens an incident of its own at
    P0: before, it went unheard (the resolved incident's alert never fired again)."""
    rt = _runtime(tmp_path)
    events = simulate(SCENARIO).events
    cut = SCENARIO.start + timedelta(minutes=DAY + 600)
    try:
        _replay(rt, [e for e in events if at(e["ts"]) < cut])
        with rt.db.session() as session:
            service = rt.incidents(session)
            [first] = session.scalars(select(IncidentRow)).all()
            assert first.severity == "P1"
            service.resolve(first.number, "alice", "looks like noise")
        _replay(rt, [e for e in events if at(e["ts"]) >= cut])
        with rt.db.session() as session:
            rows = session.scalars(select(IncidentRow).order_by(IncidentRow.number)).all()
            incidents = [detail_json(session, row) for row in rows]
            alerts = [a for a in list_alerts(session) if a.monitor == "safety-triggers"]
    finally:
        rt.close()
    assert [i["status"] for i in incidents] == ["resolved", "triggered"]
    second = incidents[1]
    assert (second["type"], second["severity"]) == ("safety", "P0")
    assert at(second["detected_at"]) >= SCENARIO.start + timedelta(minutes=SURGE)
    # The detector's record: one alert, still firing, at its grown size (not a second row).
    [alert] = alerts
    assert alert.resolved_at is None
    assert (alert.details or {})["grew_at"] == [second["detected_at"]]
    assert alert.magnitude is not None
    assert alert.magnitude >= 4.0


def _runtime(tmp: Path) -> Runtime:
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'tw.db'}",
        workers=False,
        event_max_future=FAR_AHEAD,
        event_max_age=FAR_AHEAD,
    )
    return Runtime.open(
        settings, parse_config({"respond": {"auto_resolve": False}}), ManualClock(T0)
    )


def _replay(rt: Runtime, events: list[dict[str, Any]]) -> None:
    rt.replay([EVENT_ADAPTER.validate_python(e) for e in events])


def test_a_quality_drop_that_deepens_raises_its_incident(tmp_path: Path) -> None:
    """The product's quality score falls 0.08 (a P3 by the rules); eight hours later, while
    that alert still fires, it falls 0.35 more. The score alert grows and the incident rises
    to P2 ("clear degradation") within minutes of the second drop."""
    deeper = DAY + 600
    scenario = Scenario(
        seed=4, days=1.6, outputs_per_hour=300, scored_per_hour=120, use_cases=(UseCase("chat"),),
        injections=(
            Injection("quality", "chat", DAY + 120, -0.08),
            Injection("quality", "chat", deeper, -0.35),
        ),
    )  # fmt: skip
    [incident] = replayed(tmp_path, scenario, {"respond": {"auto_resolve": False}})
    assert incident["timeline"][0]["text"].startswith("Opened as P3")
    [grew] = [e for e in incident["timeline"] if e["text"].startswith("Signal grew")]
    onset = scenario.start + timedelta(minutes=deeper)
    assert onset <= at(grew["at"]) <= onset + timedelta(minutes=30)
    assert "quality" in grew["text"]
    assert incident["severity"] == "P2"
    [raised] = [e for e in incident["timeline"] if e["kind"] == "severity_changed"]
    assert at(raised["at"]) == at(grew["at"])

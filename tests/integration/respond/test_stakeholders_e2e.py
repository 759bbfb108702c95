"""A P0 safety incident through the real path at night: simulated traffic -> the safety
detector -> incident -> safety playbook (`tripwire replay`, notifications delivered to a real
HTTP receiver). The on-call commander and the safety lead are paged at once; legal and
leadership get a notification with an acknowledge link each; their acknowledgements meet the
one-hour deadline, and a group that stays silent gets the commander and its escalation contact
paged, on the timeline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.respond.conftest import make_runtime, respond_config, tick
from tests.integration.respond.receivers import http_receiver
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import parse_rfc3339
from tripwire.ingest.validate import parse_batch
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, UseCase, simulate
from tripwire.sim.scenario import MONDAY
from tripwire.store.tables.runtime import OutboxRow
from tripwire.store.tokens import create_token

DAYS = 2.1
ONSET = int(DAYS * 1440) - 45  # the replay ends 45 minutes into the burst: before the deadline


def config(url: str) -> dict[str, Any]:
    data = respond_config(url)
    people = data["respond"]["people"]
    for name in ("lena", "gwen", "cto", "dana"):
        people[name] = {"email": f"{name}@example.org", "notify": ["hook"]}
    data["respond"]["stakeholders"] = {
        "legal": {"members": ["lena"], "escalation_contact": "gwen"},
        "leadership": {"members": ["cto"], "escalation_contact": "dana"},
    }
    return data


@dataclass
class Replayed:
    db: Path
    accepted: list[dict[str, Any]]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    """One replay for the module; each test works on its own copy of the database."""
    tmp = tmp_path_factory.mktemp("p0")
    scenario = Scenario(
        seed=11,
        days=DAYS,
        outputs_per_hour=300,
        use_cases=(UseCase("chat"),),
        injections=(Injection("safety", "chat", ONSET, 10.0, duration_minutes=120),),
    )
    with http_receiver() as receiver:
        rt = make_runtime(
            f"sqlite:///{tmp / 'tw.db'}", ManualClock(MONDAY), parse_config(config(receiver.url))
        )
        try:
            rt.replay(parse_batch(simulate(scenario).events))
        finally:
            rt.close()
    return Replayed(tmp / "tw.db", list(receiver.accepted))


@dataclass
class World:
    rt: Runtime
    api: TestClient
    clock: ManualClock
    auth: dict[str, str]
    incident: dict[str, Any]

    def detail(self) -> dict[str, Any]:
        r = self.api.get(f"/v1/incidents/{self.incident['id']}", headers=self.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def at(self, minutes: float) -> None:
        """Move to `minutes` after detection and run the timers."""
        detected = parse_rfc3339(self.incident["detected_at"])
        self.clock.set(detected + timedelta(minutes=minutes))
        tick(self.rt)


@pytest.fixture
def world(replayed: Replayed, tmp_path: Path) -> Iterator[World]:
    for file in replayed.db.parent.glob("tw.db*"):
        shutil.copy(file, tmp_path / file.name)
    clock = ManualClock(MONDAY)
    rt = make_runtime(
        f"sqlite:///{tmp_path / 'tw.db'}", clock, parse_config(config("http://127.0.0.1:9/hook"))
    )
    with rt.db.session() as session:
        secret = create_token(session, "ops", ["respond"], clock.now())[1]
    auth = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(rt, background=False)) as api:
        [incident] = api.get("/v1/incidents?type=safety", headers=auth).json()["incidents"]
        clock.set(parse_rfc3339(incident["detected_at"]))
        yield World(rt, api, clock, auth, incident)
    rt.close()


def legal_deadline(incident: dict[str, Any]) -> dict[str, Any]:
    [found] = [d for d in incident["deadlines"] if "acknowledged the notification" in d["name"]]
    return dict(found)


def delivered(replayed: Replayed, kind: str) -> list[dict[str, Any]]:
    return [a["body"] for a in replayed.accepted if a["body"]["type"] == kind]


def link(replayed: Replayed, person: str) -> str:
    [body] = [
        b for b in delivered(replayed, "incident.stakeholder")
        if b["data"]["recipient"]["person"] == person
    ]  # fmt: skip
    url: str = body["data"]["ack_url"]
    return url.removeprefix("http://tripwire.test")


def escalations(rt: Runtime, since: datetime) -> list[str]:
    """Who was paged after `since` because a stakeholder group stayed silent."""
    with rt.db.session() as session:
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind == "incident.page", OutboxRow.created_at > since)
        )
        found = [r.payload for r in rows if "acknowledge in time" in r.payload["text"]]
        return sorted(p["recipient"]["person"] for p in found)


def stakeholder_misses(incident: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e for e in incident["timeline"] if e["kind"] == "deadline_missed" and "groups" in e["data"]
    ]


def test_a_p0_at_night_pages_at_once_and_tells_legal_and_leadership(
    replayed: Replayed, world: World
) -> None:
    incident = world.detail()
    assert (incident["type"], incident["severity"]) == ("safety", "P0")
    assert parse_rfc3339(incident["detected_at"]).hour < 9, "detected at night"
    pages = delivered(replayed, "incident.page")
    first = {p["data"]["recipient"]["person"]: p["timestamp"] for p in pages[:2]}
    assert set(first) == {"alice", "sam"}, "on-call commander and safety lead, at once"
    told = {b["data"]["recipient"]["person"] for b in delivered(replayed, "incident.stakeholder")}
    assert told == {"lena", "cto"}
    notices = [n for n in incident["notices"] if n["kind"] == "stakeholder"]
    assert {(n["person"], n["group"], n["delivery"]) for n in notices} == {
        ("lena", "legal", "delivered"),
        ("cto", "leadership", "delivered"),
    }
    deadline = legal_deadline(incident)
    assert deadline["met_at"] is None
    assert deadline["missed_at"] is None
    due = parse_rfc3339(deadline["due_at"]) - parse_rfc3339(incident["detected_at"])
    assert due == timedelta(hours=1)
    assert not any(t["title"] == "Notify legal and leadership" for t in incident["tasks"])


def test_acknowledgements_meet_the_legal_deadline(world: World, replayed: Replayed) -> None:
    world.at(10)
    page = world.api.get(link(replayed, "lena"))
    assert page.status_code == 200
    assert "received the notification" in page.text
    assert world.api.post(link(replayed, "lena")).status_code == 200
    assert legal_deadline(world.detail())["met_at"] is None, "leadership has not acknowledged"
    world.at(20)
    assert world.api.post(link(replayed, "cto")).status_code == 200
    incident = world.detail()
    assert legal_deadline(incident)["met_at"] is not None
    acks = {
        (e["actor"], e["data"]["group"])
        for e in incident["timeline"]
        if e["kind"] == "stakeholder_ack"
    }
    assert acks == {("lena", "legal"), ("cto", "leadership")}
    assert incident["status"] == "triggered", "a stakeholder's ack is not the responder's"
    before = world.clock.now()
    world.at(61)
    assert stakeholder_misses(world.detail()) == []
    assert escalations(world.rt, before) == []


def test_a_silent_group_escalates_when_the_hour_passes(world: World, replayed: Replayed) -> None:
    world.at(10)
    assert world.api.post(link(replayed, "lena")).status_code == 200
    world.at(59)
    before = world.clock.now()
    world.at(60)
    incident = world.detail()
    [missed] = stakeholder_misses(incident)
    assert "leadership" in missed["text"]
    assert "legal" not in missed["data"]["groups"]
    assert legal_deadline(incident)["missed_at"] is not None
    assert escalations(world.rt, before) == ["alice", "dana"]  # commander, leadership's contact
    world.at(70)
    assert world.api.post(link(replayed, "cto")).status_code == 200  # late: recorded, not met
    assert legal_deadline(world.detail())["met_at"] is None


def test_metrics_show_the_firing_detector(world: World) -> None:
    text = world.api.get("/metrics", headers=world.auth).text
    assert 'tripwire_detector_firing{monitor="safety-triggers",use_case="chat"} 1.0' in text
    baseline = _gauge(text, "tripwire_detector_baseline", "safety-triggers", "chat")
    observed = _gauge(text, "tripwire_detector_observed", "safety-triggers", "chat")
    assert 0 < baseline < observed


def _gauge(text: str, name: str, monitor: str, use_case: str) -> float:
    prefix = f'{name}{{monitor="{monitor}",use_case="{use_case}"}} '
    [line] = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(line.removeprefix(prefix))

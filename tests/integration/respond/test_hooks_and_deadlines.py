"""What the playbook and attribution code builds on: hooks, tasks, deadlines, flag flips,
suspects and role pages, all through IncidentService."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.respond.conftest import alert, feed, tick
from tripwire.domain.clock import ManualClock
from tripwire.respond import work
from tripwire.respond.service import IncidentService
from tripwire.respond.summary import summary
from tripwire.respond.views import detail_json
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.respond import IncidentRow
from tripwire.store.tables.runtime import OutboxRow


class Playbook:
    name = "test-playbook"

    def __init__(self) -> None:
        self.changes: list[tuple[str, str]] = []

    def opened(self, service: IncidentService, incident: IncidentRow) -> None:
        work.add_task(service, incident.number, "Confirm with a sample", source=self.name)
        work.add_deadline(
            service, incident.number, "Tell legal", service.clock.now() + timedelta(hours=1)
        )
        service.set_suspects(
            incident.number,
            [
                {
                    "change_id": "chg-7",
                    "kind": "prompt_change",
                    "score": 0.9,
                    "why": "just before onset",
                }
            ],
        )

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None:
        self.changes.append((old, new))

    def tick(self, service: IncidentService) -> None:
        return


@pytest.fixture
def playbook(rt: Runtime) -> Iterator[Playbook]:
    hook = Playbook()
    rt.hooks.append(hook)
    yield hook
    rt.hooks.remove(hook)


def test_hooks_add_tasks_deadlines_and_suspects_at_open(rt: Runtime, playbook: Playbook) -> None:
    feed(rt, alert())
    with rt.db.session() as session:
        detail = detail_json(session, rt.incidents(session).get("INC-1"))
        report = summary(session, 0)
    mine = [t["title"] for t in detail["tasks"] if t["source"] == playbook.name]
    assert mine == ["Confirm with a sample"]
    assert detail["deadlines"][0]["name"] == "Tell legal"
    assert report["incidents"][0]["suspects"][0]["change_id"] == "chg-7"
    assert detail["signals"], "the signal is attached before hooks run"


def test_a_missed_deadline_pages_the_incident_commander(
    rt: Runtime, clock: ManualClock, playbook: Playbook
) -> None:
    feed(rt, alert())
    with rt.db.session() as session:
        rt.incidents(session, clock).acknowledge("INC-1", "alice")
    clock.advance(timedelta(minutes=61))
    tick(rt)
    with rt.db.session() as session:
        pages = session.scalars(select(OutboxRow).where(OutboxRow.kind == "incident.page")).all()
        reasons = [p.payload["text"] for p in pages]
    assert len(reasons) == 2
    assert "missed deadline: Tell legal" in reasons[1]
    assert playbook.changes == [("triggered", "acknowledged")]


def test_flag_flips_and_role_pages_go_on_the_timeline(rt: Runtime, playbook: Playbook) -> None:
    feed(rt, alert())
    with rt.db.session() as session:
        service = rt.incidents(session)
        service.record_flag_flip("INC-1", "kill-chat", True, False, "alice", "stop the harm")
        assert service.page_role("INC-1", "engineering_lead", "need a rollback") == 1
        kinds = [e["kind"] for e in detail_json(session, service.get("INC-1"))["timeline"]]
    assert "flag_flip" in kinds
    assert kinds[-1] == "page"

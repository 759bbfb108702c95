"""The engine's rules with an in-memory incident service (no respond tables involved)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig, parse_config
from tripwire.domain.clock import ManualClock
from tripwire.respond.playbooks.engine import Engine
from tripwire.respond.playbooks.service import IncidentFacts
from tripwire.store.base import Base
from tripwire.store.db import Database

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)


@dataclass
class Desk:
    """Records what the engine asked for."""

    facts: IncidentFacts
    timeline: list[tuple[str, str]] = field(default_factory=list)
    tasks: dict[str, tuple[str, str, datetime | None]] = field(default_factory=dict)
    done: dict[str, datetime] = field(default_factory=dict)
    pages: list[tuple[str, ...]] = field(default_factory=list)

    def open_incidents(self) -> list[IncidentFacts]:
        return [self.facts]

    def incident(self, incident_id: str) -> IncidentFacts | None:
        return self.facts if incident_id == self.facts.id else None

    def add_timeline(
        self, incident_id: str, kind: str, text: str, *, actor: str, data: dict[str, Any]
    ) -> None:
        self.timeline.append((kind, text))

    def create_task(
        self, incident_id: str, title: str, *, role: str, due_at: datetime | None, description: str
    ) -> str:
        task_id = str(len(self.tasks) + 1)
        self.tasks[task_id] = (title, role, due_at)
        return task_id

    def task_done_at(self, task_id: str) -> datetime | None:
        return self.done.get(task_id)

    def page(
        self, incident_id: str, roles: Sequence[str], reason: str, *, repeat: bool = False
    ) -> list[str]:
        self.pages.append(tuple(roles))
        return list(roles)

    def set_suspects(self, incident_id: str, suspects: list[dict[str, Any]]) -> None:
        return None


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    Base.metadata.create_all(db.engine)
    with db.session() as s:
        yield s
    db.dispose()


def facts(severity: str = "P2") -> IncidentFacts:
    return IncidentFacts("INC-1", "safety", severity, "triggered", "chat", T0, T0)


def config(steps: list[dict[str, Any]]) -> TripwireConfig:
    return parse_config({"playbooks": {"safety": {"title": "T", "steps": steps}}})


def run(session: Session, desk: Desk, cfg: TripwireConfig) -> tuple[Engine, ManualClock]:
    clock = ManualClock(T0)
    engine = Engine(session, clock, cfg, desk)
    assert engine.start_new() == ["INC-1"]
    assert engine.start_new() == []
    return engine, clock


def test_steps_for_other_severities_or_unmet_conditions_are_skipped(session: Session) -> None:
    desk = Desk(facts("P2"))
    run(session, desk, config([
        {"id": "legal", "title": "Legal", "severities": ["P0"], "due": "1h"},
        {"id": "test_case", "title": "Add a test", "only_if": "pattern"},
        {"id": "mitigate", "title": "Mitigate", "only_if": "not_rolled_back", "role": "lead"},
    ]))  # fmt: skip
    assert [t[0] for t in desk.tasks.values()] == ["Mitigate"]
    skipped = [text for _, text in desk.timeline if "not needed" in text or "only when" in text]
    assert skipped == ["Legal: not needed for P2", "Add a test: only when pattern"]


def test_an_unknown_action_becomes_a_task_instead_of_vanishing(session: Session) -> None:
    desk = Desk(facts())
    run(session, desk, config([{"id": "x", "title": "Do X", "action": "teleport"}]))
    assert list(desk.tasks.values()) == [("Do X", "incident_commander", None)]


def test_a_deadline_without_escalation_is_only_noted(session: Session) -> None:
    desk = Desk(facts())
    engine, clock = run(session, desk, config([{"id": "x", "title": "X", "due": "10m"}]))
    clock.advance(timedelta(minutes=11))
    assert engine.judge_deadlines() == [("INC-1", "x", "overdue")]
    assert desk.pages == []
    assert engine.judge_deadlines() == []


def test_a_deadline_with_escalation_pages_when_missed_and_not_when_met(session: Session) -> None:
    steps = [
        {"id": "a", "title": "A", "due": "1h", "escalate_to": ["incident_commander"]},
        {"id": "b", "title": "B", "due": "1h", "escalate_to": ["schedule:legal"]},
    ]
    desk = Desk(facts())
    engine, clock = run(session, desk, config(steps))
    desk.done["1"] = T0 + timedelta(minutes=59)
    desk.done["2"] = T0 + timedelta(minutes=61)  # done, but too late
    clock.advance(timedelta(minutes=59, seconds=59))
    assert engine.judge_deadlines() == []
    clock.advance(timedelta(seconds=1))
    assert engine.judge_deadlines() == [("INC-1", "a", "met"), ("INC-1", "b", "escalated")]
    assert desk.pages == [("schedule:legal",)]

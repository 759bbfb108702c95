"""Playbook runs, their steps' state and deadlines, and rollbacks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripwire.store.tables.flags import PlaybookRunRow, PlaybookStepRow, RollbackRow


def runs_for(session: Session, incident_ids: Sequence[str]) -> set[str]:
    """Which of these incidents already have a playbook run."""
    if not incident_ids:
        return set()
    query = select(PlaybookRunRow.incident_id).where(
        PlaybookRunRow.incident_id.in_(list(incident_ids))
    )
    return set(session.scalars(query))


def get_run(session: Session, incident_id: str) -> PlaybookRunRow | None:
    return session.get(PlaybookRunRow, incident_id)


def start_run(session: Session, incident_id: str, playbook: str, now: datetime) -> None:
    session.add(PlaybookRunRow(incident_id=incident_id, playbook=playbook, started_at=now))
    session.flush()


def add_step(
    session: Session,
    incident_id: str,
    step_id: str,
    *,
    mode: str,
    state: str,
    now: datetime,
    task_id: str | None = None,
    due_at: datetime | None = None,
    result: dict[str, Any] | None = None,
) -> PlaybookStepRow:
    row = PlaybookStepRow(
        incident_id=incident_id,
        step_id=step_id,
        mode=mode,
        state=state,
        task_id=task_id,
        due_at=due_at,
        result=result,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def steps_of(session: Session, incident_id: str) -> list[PlaybookStepRow]:
    query = (
        select(PlaybookStepRow)
        .where(PlaybookStepRow.incident_id == incident_id)
        .order_by(PlaybookStepRow.seq)
    )
    return list(session.scalars(query))


def due_steps(session: Session, now: datetime) -> list[PlaybookStepRow]:
    """Steps whose deadline has come and that have not been judged yet."""
    query = (
        select(PlaybookStepRow)
        .where(PlaybookStepRow.state == "pending", PlaybookStepRow.due_at <= now)
        .order_by(PlaybookStepRow.due_at, PlaybookStepRow.seq)
    )
    return list(session.scalars(query))


def add_rollback(session: Session, row: RollbackRow) -> None:
    session.add(row)
    session.flush()


def get_rollback(session: Session, rollback_id: str) -> RollbackRow | None:
    return session.get(RollbackRow, rollback_id)


def rollbacks_to_check(session: Session, now: datetime) -> list[RollbackRow]:
    query = (
        select(RollbackRow)
        .where(RollbackRow.state == "applied", RollbackRow.check_at <= now)
        .order_by(RollbackRow.check_at)
    )
    return list(session.scalars(query))


def list_rollbacks(session: Session, incident_id: str | None = None) -> list[RollbackRow]:
    query = select(RollbackRow).order_by(RollbackRow.applied_at.desc())
    if incident_id is not None:
        query = query.where(RollbackRow.incident_id == incident_id)
    return list(session.scalars(query))


def rerank_gap(run: PlaybookRunRow, every: timedelta) -> timedelta:
    """Time between rankings of one run: `every` at first, then as long as the run has lived,
    so evidence is re-read at 15 min, 30 min, 1 h, 2 h, 4 h: early while it changes most,
    rarely once it has settled (ranking reads every output of the window)."""
    assert run.ranked_at is not None
    return max(every, run.ranked_at - run.started_at)


def _young_runs(session: Session, now: datetime, window: timedelta) -> list[PlaybookRunRow]:
    query = select(PlaybookRunRow).where(
        PlaybookRunRow.ranked_at.is_not(None), PlaybookRunRow.started_at >= now - window
    )
    return list(session.scalars(query))


def runs_to_rerank(
    session: Session, now: datetime, every: timedelta, window: timedelta
) -> list[PlaybookRunRow]:
    """Runs started within `window` whose next ranking (see `rerank_gap`) is due."""
    return [
        run
        for run in _young_runs(session, now, window)
        if run.ranked_at is not None and run.ranked_at + rerank_gap(run, every) <= now
    ]


def step_row(session: Session, incident_id: str, step_id: str) -> PlaybookStepRow | None:
    query = select(PlaybookStepRow).where(
        PlaybookStepRow.incident_id == incident_id, PlaybookStepRow.step_id == step_id
    )
    return session.scalar(query)


def next_due(
    session: Session, now: datetime, every: timedelta, window: timedelta
) -> datetime | None:
    """The earliest time a playbook timer (step deadline, rollback check, re-ranking) is due."""
    candidates = [
        session.scalar(
            select(func.min(PlaybookStepRow.due_at)).where(PlaybookStepRow.state == "pending")
        ),
        session.scalar(
            select(func.min(RollbackRow.check_at)).where(RollbackRow.state == "applied")
        ),
    ]
    candidates += [
        run.ranked_at + rerank_gap(run, every)
        for run in _young_runs(session, now, window)
        if run.ranked_at is not None
    ]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None

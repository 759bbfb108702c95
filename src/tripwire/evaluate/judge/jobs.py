"""Judge work in the `jobs` table: enqueued by the stage, claimed by workers with a conditional
UPDATE (so several processes can drain one queue without taking the same job twice)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.config.evaluate import JudgeConfig
from tripwire.evaluate.judge.rubrics import RUBRICS
from tripwire.store.tables.runtime import JobRow

KIND = "judge"
log = logging.getLogger("tripwire.evaluate")

_FIELDS = (
    "id",
    "ts",
    "use_case",
    "input",
    "output",
    "context",
    "model",
    "model_version",
    "prompt_version",
)


def pending_count(session: Session) -> int:
    query = select(func.count()).where(JobRow.kind == KIND, JobRow.status == "pending")
    return int(session.scalar(query) or 0)


def enqueue_judge_jobs(
    session: Session, outputs: Sequence[dict[str, Any]], config: JudgeConfig, now: datetime
) -> int:
    """One job per (output, rubric); a job already queued is not queued again. Returns how many
    were offered; nothing is queued while the queue holds `max_queue` pending jobs."""
    room = config.max_queue - pending_count(session)
    if room <= 0:
        log.warning("judge queue full (%d pending): outputs not judged", config.max_queue)
        return 0
    rows = []
    for output in outputs:
        item = {k: output[k] for k in _FIELDS if k in output}
        for rubric in config.rubrics:
            if RUBRICS[rubric].needs_context and not output.get("context"):
                continue
            rows.append(
                {
                    "kind": KIND,
                    "key": f"{KIND}:{rubric}:{output['id']}",
                    "payload": {"rubric": rubric, "output": item},
                    "status": "pending",
                    "run_at": now,
                    "attempts": 0,
                }
            )
    rows = rows[:room]
    if rows:
        dialect = session.get_bind().dialect.name
        insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        for start in range(0, len(rows), 500):
            stmt = insert_fn(JobRow).on_conflict_do_nothing(index_elements=["key"])
            session.execute(stmt, rows[start : start + 500])
    return len(rows)


def claim_jobs(session: Session, limit: int, now: datetime, lease: timedelta) -> list[JobRow]:
    """Claim up to `limit` due jobs (or jobs whose worker died: lease expired)."""
    due = or_(
        (JobRow.status == "pending") & (JobRow.run_at <= now),
        (JobRow.status == "running") & (JobRow.locked_until < now),
    )
    candidates = session.scalars(
        select(JobRow.seq)
        .where(JobRow.kind == KIND, due)
        .order_by(JobRow.run_at, JobRow.seq)
        .limit(limit)
    ).all()
    claimed = []
    for seq in candidates:
        result = session.execute(
            update(JobRow)
            .where(JobRow.seq == seq, due)
            .values(status="running", locked_until=now + lease, attempts=JobRow.attempts + 1)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(seq)
    if not claimed:
        return []
    return list(session.scalars(select(JobRow).where(JobRow.seq.in_(claimed))))


def finish(session: Session, seq: int) -> None:
    session.execute(
        update(JobRow).where(JobRow.seq == seq).values(status="done", locked_until=None)
    )


def retry_later(
    session: Session, seq: int, error: str, run_at: datetime, give_up: bool = False
) -> None:
    session.execute(
        update(JobRow)
        .where(JobRow.seq == seq)
        .values(
            status="failed" if give_up else "pending",
            run_at=run_at,
            locked_until=None,
            last_error=error[:2000],
        )
    )


def release(session: Session, seq: int, run_at: datetime) -> None:
    """Put a claimed job back untouched (the budget ran out before it was tried)."""
    session.execute(
        update(JobRow)
        .where(JobRow.seq == seq)
        .values(status="pending", run_at=run_at, locked_until=None, attempts=JobRow.attempts - 1)
    )

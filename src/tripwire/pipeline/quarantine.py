"""Running the stages so that one event they fail on cannot stop the pipeline.

Each stage handles the batch inside a savepoint. When it raises, the savepoint is rolled back
(with what the stage handed on: derived events, ticket topics, alerts) and the batch is bisected
until the events the stage fails on alone are found. Those are quarantined in the dead-letter
table with the stage and the error; every other event goes on, and the caller moves its cursor
past the batch as usual. A batch of n events with k poison events costs O(k log n) extra runs
of the failing stage, and nothing when no stage fails.

What is not an event's fault is not blamed on one: a database error (locked, disconnected)
propagates, so the whole step rolls back and runs again later; and a stage that fails on an
empty batch too has a problem of its own, which also propagates.

The stages' in-memory statistics (detector counts, the sampler's) are not transactional: the
events of a failed attempt that came before the poison one are counted again when the bisection
re-runs them. That skews a running average by a few events, once, where the alternative was a
pipeline stopped for good.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import InterfaceError, OperationalError

from tripwire.pipeline.stage import Stage, StageContext
from tripwire.store import deadletter
from tripwire.store.events import StoredEvent

log = logging.getLogger("tripwire.pipeline")
RETRIES_PER_STEP = 100


@dataclass
class _Mark:
    """What a stage may have handed on before it failed, to put back as it was."""

    derived: int
    topics: dict[str, str]
    alerts: list[object]

    @classmethod
    def of(cls, ctx: StageContext) -> _Mark:
        return cls(len(ctx.derived), dict(ctx.ticket_topics), list(ctx.alerts))

    def restore(self, ctx: StageContext) -> None:
        del ctx.derived[self.derived :]
        ctx.ticket_topics.clear()
        ctx.ticket_topics.update(self.topics)
        ctx.alerts[:] = self.alerts  # type: ignore[assignment]


def run_guarded(stages: Sequence[Stage], ctx: StageContext, events: Sequence[StoredEvent]) -> int:
    """Like `run_stages`, but events a stage fails on are quarantined instead of stopping the
    batch; returns how many were quarantined."""
    return len(_run(stages, ctx, events))


def _run(stages: Sequence[Stage], ctx: StageContext, events: Sequence[StoredEvent]) -> set[int]:
    batch = list(events)
    poisoned: set[int] = set()
    for stage in stages:
        seen = len(ctx.derived)
        failed = _handle(stage, ctx, batch)
        if failed:
            _quarantine(ctx, stage, failed)
            poisoned.update(event.seq for event, _ in failed)
            batch = [e for e in batch if e.seq not in poisoned]
        if len(ctx.derived) > seen:
            batch = batch + ctx.derived[seen:]
    return poisoned


def redrive(
    stages: Sequence[Stage],
    ctx: StageContext,
    limit: int = RETRIES_PER_STEP,
    part: int | None = None,
) -> int:
    """Run the events an operator asked to retry (`tripwire deadletter retry`) through the stage
    that failed on them and the stages after it. Those that pass leave quarantine; those that
    fail again go back with the new error. With `part`, only that pipeline partition's events
    (their detector state lives with the partition). Returns how many were tried."""
    claimed = deadletter.claim_retries(ctx.session, limit, part)
    names = [stage.name for stage in stages]
    for name in dict.fromkeys(stage for stage, _ in claimed):
        start = names.index(name) if name in names else 0
        events = [event for stage, event in claimed if stage == name]
        failed_again = _run(stages[start:], ctx, events)
        passed = sorted(e.seq for e in events if e.seq not in failed_again)
        deadletter.mark_done(ctx.session, passed, ctx.clock.now())
    return len(claimed)


def _handle(
    stage: Stage, ctx: StageContext, batch: list[StoredEvent]
) -> list[tuple[StoredEvent, Exception]]:
    """The events `stage` fails on alone (with their errors); the rest are handled."""
    error = _attempt(stage, ctx, batch)
    if error is None:
        return []
    if _attempt(stage, ctx, []) is not None:
        raise error  # the stage fails without any event: not a poison event
    return _bisect(stage, ctx, batch, error)


def _bisect(
    stage: Stage, ctx: StageContext, batch: list[StoredEvent], error: Exception
) -> list[tuple[StoredEvent, Exception]]:
    if len(batch) == 1:
        return [(batch[0], error)]
    middle = len(batch) // 2
    failed: list[tuple[StoredEvent, Exception]] = []
    for half in (batch[:middle], batch[middle:]):
        half_error = _attempt(stage, ctx, half)
        if half_error is not None:
            failed.extend(_bisect(stage, ctx, half, half_error))
    return failed


def _attempt(stage: Stage, ctx: StageContext, batch: list[StoredEvent]) -> Exception | None:
    """Run the stage on `batch` in a savepoint: None when it went through, else the error (with
    the savepoint and what the stage handed on rolled back)."""
    mark = _Mark.of(ctx)
    try:
        with ctx.session.begin_nested():
            stage.handle(ctx, batch)
    except (OperationalError, InterfaceError):
        raise  # the database's trouble (locked, gone), not the event's: the step is retried
    except Exception as exc:
        mark.restore(ctx)
        return exc
    return None


def _quarantine(
    ctx: StageContext, stage: Stage, failed: list[tuple[StoredEvent, Exception]]
) -> None:
    now = ctx.clock.now()
    for event, exc in failed:
        log.warning(
            "stage %s failed on event %s (seq %d); quarantined",
            stage.name,
            event.id,
            event.seq,
            exc_info=exc,
        )
        deadletter.quarantine(ctx.session, event, stage.name, _describe(exc), now)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"

"""What a lifecycle stage offers the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import Clock
from tripwire.store.events import StoredEvent


@dataclass
class StageContext:
    """Everything a stage may use while it handles events: one open transaction and the clock.

    `clock` is event time in `replay` and the wall clock in `serve`. Whatever a stage writes
    through `session` commits together with the pipeline's cursor, so a crash never applies an
    event twice nor skips one. What a stage hands to later stages in the same step:
    - `derived`: events it stored with `tripwire.store.events.insert_derived` (evaluator scores);
      later stages receive them appended to their `events`;
    - `ticket_topics`: event id -> topic for tickets classified by Tripwire;
    - `alerts`: alerts raised or cleared by detectors, for respond to turn into incidents
      (respond consumes them).

    How a stage behaves in each run mode is decided when the composition root builds it, never
    read from the context.
    """

    session: Session
    clock: Clock
    config: TripwireConfig
    settings: Settings
    derived: list[StoredEvent] = field(default_factory=list)
    ticket_topics: dict[str, str] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)


class Stage(Protocol):
    """A lifecycle stage. Stages run in order; each sees only newly stored events."""

    name: str

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        """React to new events, all with ts <= ctx.clock.now()."""

    def tick(self, ctx: StageContext) -> None:
        """Run timers due at ctx.clock.now() (escalations, deadlines, detector windows)."""


class Prepares(Protocol):
    """A stage that can do its pure computation ahead of `handle`. The follower calls
    `prepare` with a step's batch before the step's transaction begins (on SQLite that
    transaction holds the database's one write lock, which ingest waits for); `handle` then
    receives the same events, or a subset of them (a quarantine bisection), or other events
    (the batch had to be read again), and must handle whatever it gets as if `prepare` had
    not been called. Nothing `prepare` does may write to the database."""

    def prepare(self, events: Sequence[StoredEvent]) -> None:
        """Compute ahead what `handle` will need for `events`."""


def prepare_stages(stages: Sequence[Stage], events: Sequence[StoredEvent]) -> None:
    """Let the stages that can (`Prepares`) compute ahead for `events`; only the first stage
    sees exactly the batch (later ones also get what earlier ones derive), so only it is
    asked."""
    prepare = getattr(stages[0], "prepare", None) if stages else None
    if callable(prepare):
        prepare(events)


def run_stages(stages: Sequence[Stage], ctx: StageContext, events: Sequence[StoredEvent]) -> None:
    """Hand `events` to each stage in order; events a stage derives go on to the later ones."""
    batch = list(events)
    for stage in stages:
        seen = len(ctx.derived)
        stage.handle(ctx, batch)
        if len(ctx.derived) > seen:
            batch = batch + ctx.derived[seen:]


def close_stages(stages: Sequence[Stage]) -> None:
    """Release what stages hold (thread pools) once they will not run again; a stage with
    nothing to release has no `close`."""
    for stage in stages:
        close = getattr(stage, "close", None)
        if callable(close):
            close()

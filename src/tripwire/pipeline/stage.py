"""What a lifecycle stage offers the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.store.events import StoredEvent


@dataclass
class StageContext:
    """Everything a stage may use while it handles events: one open transaction and the clock.

    `clock` is event time in `replay` and the wall clock in `serve`. Whatever a stage writes
    through `session` commits together with the pipeline's cursor, so a crash never applies an
    event twice nor skips one. `shared` lets a later stage read what an earlier one produced in
    the same step (e.g. scores computed for these events).
    """

    session: Session
    clock: Clock
    config: TripwireConfig
    settings: Settings
    shared: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    """A lifecycle stage. Stages run in order; each sees only newly stored events."""

    name: str

    def handle(self, ctx: StageContext, events: Sequence[StoredEvent]) -> None:
        """React to new events, all with ts <= ctx.clock.now()."""

    def tick(self, ctx: StageContext) -> None:
        """Run timers due at ctx.clock.now() (escalations, deadlines, detector windows)."""

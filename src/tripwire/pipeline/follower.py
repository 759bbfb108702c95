"""`serve`'s event follower: hands newly stored events to the stages, exactly once.

Events may arrive late or out of order; the stages see each stored event once, in ts order
within a step, on the wall clock.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.pipeline.quarantine import redrive, run_guarded
from tripwire.pipeline.stage import Stage, StageContext, close_stages
from tripwire.store.db import Database
from tripwire.store.events import committed_high_water, count_after, read_after
from tripwire.store.runtime import get_cursor, set_cursor, try_lease

CURSOR = "pipeline"
LEASE_TTL = timedelta(seconds=30)


class Follower:
    """One step reads up to `batch` events past the cursor, runs the stages and moves the cursor,
    all in one transaction. Only the holder of the `pipeline` lease steps, so several `serve`
    processes can share a database."""

    def __init__(
        self,
        db: Database,
        stages: list[Stage],
        config: TripwireConfig,
        settings: Settings,
        clock: Clock,
        batch: int = 1000,
    ) -> None:
        self.db = db
        self.stages = stages
        self.config = config
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"

    def step(self) -> int:
        """Process one batch; returns how far the cursor moved (0 when idle or not leader).

        That is not a count of events: seq values may be skipped (PostgreSQL spends one on a
        duplicate insert) and derived events move the cursor without being handed on.
        """
        upto: int | None = None
        if not self.db.is_sqlite:
            # In its own transaction, so the lock it takes is released before the stages run.
            with self.db.session() as session:
                if not try_lease(session, CURSOR, self.holder, self.clock.now(), LEASE_TTL):
                    return 0
                upto = committed_high_water(session)
        with self.db.session() as session:
            if not try_lease(session, CURSOR, self.holder, self.clock.now(), LEASE_TTL):
                return 0
            position = get_cursor(session, CURSOR)
            ctx = StageContext(session, self.clock, self.config, self.settings)
            retried = redrive(self.stages, ctx)  # quarantined events an operator sent back
            events, new_position = read_after(session, position, self.batch, upto)
            if new_position == position:
                return retried
            # Guarded: an event a stage fails on is quarantined, and the cursor moves on.
            run_guarded(self.stages, ctx, sorted(events, key=lambda e: (e.ts, e.seq)))
            set_cursor(session, CURSOR, new_position, self.clock.now())
        return new_position - position

    def tick(self) -> bool:
        """Run the stages' timers; never asks to be called again at once."""
        with self.db.session() as session:
            if not try_lease(session, CURSOR, self.holder, self.clock.now(), LEASE_TTL):
                return False
            ctx = StageContext(session, self.clock, self.config, self.settings)
            for stage in self.stages:
                stage.tick(ctx)
        return False

    def close(self) -> None:
        """Release what the stages hold; the follower does not step again."""
        close_stages(self.stages)


def pending_events(session: Session) -> int:
    """Stored events the pipeline has not processed yet."""
    return count_after(session, get_cursor(session, CURSOR))

"""Drive stages over events in event-time order, with a tick at every interval boundary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from tripwire.domain.clock import ManualClock
from tripwire.pipeline.quarantine import run_guarded
from tripwire.pipeline.stage import Stage, StageContext
from tripwire.store.events import StoredEvent

TICK = timedelta(minutes=1)


class EventTimeRunner:
    """Feeds stages events grouped between tick boundaries and ticks them as event time passes.

    The clock is the latest `ts` seen, never the wall clock, so a replay of last week behaves as
    last week did. Events must arrive in non-decreasing ts order.
    """

    def __init__(self, stages: Sequence[Stage], clock: ManualClock, tick: timedelta = TICK) -> None:
        self.stages = list(stages)
        self.clock = clock
        self.tick_every = tick
        self._next_tick: datetime | None = None
        self.quarantined = 0  # events a stage failed on, moved to the dead-letter table

    def feed(self, make_ctx: Callable[[], StageContext], events: Sequence[StoredEvent]) -> None:
        group: list[StoredEvent] = []
        for event in events:
            if self._next_tick is None:
                self._next_tick = _floor(event.ts, self.tick_every) + self.tick_every
            while event.ts >= self._next_tick:
                self._flush(make_ctx, group)
                group = []
                self.clock.set(self._next_tick)
                self._tick(make_ctx)
                self._next_tick += self.tick_every
            group.append(event)
        self._flush(make_ctx, group)

    def finish(self, make_ctx: Callable[[], StageContext]) -> None:
        """A last tick at the final event time, so timers due by then have run."""
        self._tick(make_ctx)

    def _flush(self, make_ctx: Callable[[], StageContext], group: list[StoredEvent]) -> None:
        if not group:
            return
        self.clock.set(group[-1].ts)
        self.quarantined += run_guarded(self.stages, make_ctx(), group)

    def _tick(self, make_ctx: Callable[[], StageContext]) -> None:
        if not self.stages:
            return
        ctx = make_ctx()
        for stage in self.stages:
            stage.tick(ctx)


def _floor(when: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=when.tzinfo)
    return epoch + ((when - epoch) // step) * step

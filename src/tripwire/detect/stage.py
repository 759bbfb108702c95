"""The `detect` stage: counts each event into the window of its own minute (its `ts`), closes
windows on a watermark and hands alerts to respond through `ctx.alerts`.

The watermark is the clock minus the allowed lateness (`monitors.allowed_lateness_minutes` in
`serve` and `worker`, 0 in `replay`, whose clock is the events' own time). An event whose
minute has already closed when it arrives counts in the minute it arrives in and is counted
as late (`GET /v1/stats` -> `pipeline.late`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.detect import persist
from tripwire.detect.alerting import minute_time, to_alert
from tripwire.detect.engine import Engine
from tripwire.detect.open_window import dump_cells, load_cells
from tripwire.detect.series_state import key_from_text, key_text
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import Clock
from tripwire.store.events import StoredEvent

EPOCH_SECONDS = 60
CHECKPOINT_MINUTES = 60
OPEN_WINDOW = "~open|"  # state rows of a partition's open windows, not of a series
LATE = "~late|all"  # the late count of an unpartitioned stage


@dataclass(frozen=True, slots=True)
class Scope:
    """The use cases of one pipeline partition. A scoped stage loads and saves only their
    series, closes its windows as its batches arrive (an idle partition still gets an empty
    batch each minute) and saves its open window with every batch, so its whole state commits
    with the partition's cursor and another worker can take the partition over exactly."""

    name: str
    owns: Callable[[str], bool]


class Context(Protocol):
    """What the stage uses of the pipeline's StageContext."""

    session: Session
    clock: Clock
    ticket_topics: dict[str, str]
    alerts: list[Alert]


def _minute(when: datetime) -> int:
    return int(when.timestamp() // EPOCH_SECONDS)


class DetectStage:
    """Hot state lives in memory; detector state is checkpointed to `detector_state` every
    `CHECKPOINT_MINUTES` of event time and at every tick that does not fall on a minute
    boundary (the last tick of a replay). With a `scope` (one pipeline partition, see `Scope`)
    the stage serves only that partition's use cases and saves its state with every batch.
    `hooks` are called with each alert raised (tests, debugging)."""

    name = "detect"

    def __init__(
        self, config: TripwireConfig, scope: Scope | None = None, lateness_minutes: int = 0
    ) -> None:
        self.config = config
        self.scope = scope
        self.lateness = lateness_minutes
        self.engine = Engine(config.monitors, config.costs)
        self.hooks: list[Callable[[Alert], None]] = []
        self.late = 0  # events counted outside their own minute, ever (persisted)
        self._late_saved = 0
        self._lock = threading.Lock()
        self._loaded = False
        self._last_close: int | None = None
        self._last_checkpoint: int | None = None

    def handle(self, ctx: Context, events: Sequence[StoredEvent]) -> None:
        with self._lock:
            self._load(ctx.session)
            now = ctx.clock.now()
            if self.scope is not None:
                self._close_due(ctx, now)
            observe, topics = self.engine.observe, ctx.ticket_topics
            arrival = _minute(now) + 1  # the window the arrival minute belongs to
            closed = self._last_close
            for event in events:
                topic = topics.get(event.id) if event.type == "ticket" else None
                window = _minute(event.ts) + 1  # windows are named by the minute they end at
                if closed is not None and window <= closed:
                    window = max(arrival, closed + 1)
                    self.late += 1
                observe(event.type, event.use_case, event.payload, topic, window)
            if self.scope is not None:
                self._save_scope(ctx.session, now)

    def _watermark(self, now: datetime) -> int:
        """The last window that may close at `now`: every event of it has had its lateness."""
        return _minute(now) - self.lateness

    def _close_due(self, ctx: Context, now: datetime) -> None:
        upto = self._watermark(now)
        if self._last_close is None or upto > self._last_close:
            self._close(ctx, upto)

    def _save_scope(self, session: Session, now: datetime) -> None:
        assert self.scope is not None
        self._checkpoint(session, now)
        window = {
            "windows": [[m, dump_cells(c)] for m, c in sorted(self.engine.windows.items())],
            "closed": self._last_close,
            "late": self.late,
        }
        persist.save_states(session, {OPEN_WINDOW + self.scope.name: window}, now)

    def tick(self, ctx: Context) -> None:
        with self._lock:
            self._load(ctx.session)
            now = ctx.clock.now()
            self._close_due(ctx, now)
            minute = _minute(now)
            on_boundary = now.second == 0 and now.microsecond == 0
            due = (
                self._last_checkpoint is None
                or minute - self._last_checkpoint >= CHECKPOINT_MINUTES
            )
            if due or not on_boundary:
                self._checkpoint(ctx.session, now)
                self._last_checkpoint = minute

    def _close(self, ctx: Context, upto: int) -> None:
        """Close every open window ending at or before `upto`, oldest first (windows with
        nothing counted have nothing to close)."""
        self._last_close = upto
        for minute in sorted(m for m in self.engine.windows if m <= upto):
            for verdict in self.engine.close(minute):
                alert = to_alert(verdict)
                ctx.alerts.append(alert)
                persist.record_alert(ctx.session, alert)
                for hook in self.hooks:
                    hook(alert)

    def _checkpoint(self, session: Session, now: datetime) -> None:
        persist.save_states(session, self.engine.dump(self.engine.touched), now)
        self.engine.touched.clear()
        finished = self.engine.finished_hours
        if finished:
            rows = [(key_text(k), minute_time(h * 60), v, x) for k, h, v, x in finished]
            persist.save_windows(session, rows, now)
            finished.clear()
        if self.scope is None and self.late != self._late_saved:
            persist.save_states(session, {LATE: {"late": self.late}}, now)
            self._late_saved = self.late

    def _serves(self, key: str) -> bool:
        if key.startswith("~"):
            return False
        return self.scope is None or self.scope.owns(key_from_text(key)[1])

    def _load(self, session: Session) -> None:
        if self._loaded:
            return
        self._loaded = True
        states: dict[str, dict[str, Any]] = persist.load_states(session)
        window = states.pop(OPEN_WINDOW + self.scope.name, None) if self.scope else None
        late = states.pop(LATE, None) if self.scope is None else None
        states = {k: v for k, v in states.items() if self._serves(k)}
        self.engine.load(states)
        if states:
            last = max(int(s.get("lm", 0)) for s in states.values())
            self._last_close = last or None
        if window is not None:
            self._load_window(window)
        if late is not None:
            self.late = self._late_saved = int(late.get("late", 0))

    def _load_window(self, window: dict[str, Any]) -> None:
        if window.get("closed") is not None:
            self._last_close = max(self._last_close or 0, int(window["closed"]))
        self.late = int(window.get("late", 0))
        if "cells" in window:  # saved before event time: one window, the next to close
            following = (self._last_close or 0) + 1
            self.engine.windows = {following: load_cells(window["cells"])}
            return
        self.engine.windows = {int(m): load_cells(c) for m, c in window.get("windows", [])}

"""The respond stage: detectors' alerts become incidents; timers run on the stage's clock.

Respond sits below the pipeline's faces, so it names what it needs from the stage context as a
protocol instead of importing it. How it runs (inline delivery on event time, which service
factory) is decided by the composition root and handed in at construction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import Clock
from tripwire.notify.worker import OutboxWorker
from tripwire.respond.service import IncidentService
from tripwire.respond.signals import ingest_alert
from tripwire.respond.timers import next_due, tick
from tripwire.store.events import StoredEvent

IncidentsFactory = Callable[[Session, Clock], IncidentService]
"""Builds the incident service for one transaction on the stage's clock."""


class Context(Protocol):
    session: Session
    clock: Clock
    config: TripwireConfig
    settings: Settings
    alerts: list[Alert]


class RespondStage:
    """Turns `ctx.alerts` into incidents through IncidentService; `tick` runs escalation,
    deadlines and severity reassessment.

    With `inline_delivery` (replay) the outbox is delivered inside the stage's transaction on
    the stage's clock, because there event time drives retries and backoff; and ticks that
    have nothing due are skipped.
    """

    name = "respond"

    def __init__(self, incidents: IncidentsFactory, *, inline_delivery: bool = False) -> None:
        self.incidents = incidents
        self.inline_delivery = inline_delivery
        self._worker: OutboxWorker | None = None
        # Inline only: the event time before which ticks have nothing to do (None: nothing is
        # scheduled until the next alert). A long replay then skips most per-minute ticks, and
        # timers still fire at the same tick they would have fired at.
        self._idle_until: datetime | None = None
        self._idle = False

    def handle(self, ctx: Context, events: Sequence[StoredEvent]) -> None:
        self._take_alerts(ctx)

    def tick(self, ctx: Context) -> None:
        self._take_alerts(ctx)
        now = ctx.clock.now()
        if (
            self.inline_delivery
            and self._idle
            and (self._idle_until is None or now < self._idle_until)
        ):
            return
        service = self.incidents(ctx.session, ctx.clock)
        tick(service)
        if self.inline_delivery:
            self._deliver(ctx)
            self._idle_until = next_due(service)
            self._idle = True

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _take_alerts(self, ctx: Context) -> None:
        """Alerts are consumed: a stage context may be handed to `handle` and `tick` in turn."""
        fresh = list(ctx.alerts)
        if not fresh:
            return
        ctx.alerts.clear()
        self._idle = False
        service = self.incidents(ctx.session, ctx.clock)
        for alert in sorted(fresh, key=lambda a: a.detected_at):
            ingest_alert(service, alert)

    def _deliver(self, ctx: Context) -> None:
        if self._worker is None or self._worker.clock is not ctx.clock:
            self.close()
            self._worker = OutboxWorker(None, ctx.config.respond, ctx.settings, ctx.clock)
        self._worker.run_in(ctx.session)

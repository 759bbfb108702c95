"""The respond stage: detectors' alerts become incidents; timers run on the stage's clock.

Respond sits below the pipeline, so it names what it needs from the stage context as a
protocol instead of importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import Clock
from tripwire.notify.worker import OutboxWorker
from tripwire.respond.exposure import ExposureMemo
from tripwire.respond.service import IncidentService
from tripwire.respond.signals import ingest_alert
from tripwire.respond.timers import next_due, tick
from tripwire.store.events import StoredEvent

# Set this key in StageContext.shared to deliver notifications inside the stage's transaction,
# on the stage's clock: `replay` does, because there event time drives retries and backoff.
INLINE_DELIVERY = "respond.inline_delivery"
# Set this key to an ExposureMemo that lives as long as one replay (see ExposureMemo).
EXPOSURE_MEMO = "respond.exposure_memo"
_SEEN = "respond.alerts_seen"


class Context(Protocol):
    session: Session
    clock: Clock
    config: TripwireConfig
    settings: Settings
    alerts: list[Alert]
    shared: dict[str, Any]


class RespondStage:
    """Turns `ctx.alerts` into incidents through IncidentService; `tick` runs escalation,
    deadlines and severity reassessment, and (inline mode) delivers the outbox."""

    name = "respond"

    def __init__(self) -> None:
        self._worker: OutboxWorker | None = None
        # Replay only: the event time before which ticks have nothing to do (None: nothing is
        # scheduled until the next alert). A long replay then skips most per-minute ticks, and
        # timers still fire at the same tick they would have fired at.
        self._idle_until: datetime | None = None
        self._idle = False

    def handle(self, ctx: Context, events: Sequence[StoredEvent]) -> None:
        self._take_alerts(ctx)

    def tick(self, ctx: Context) -> None:
        self._take_alerts(ctx)
        inline = bool(ctx.shared.get(INLINE_DELIVERY))
        now = ctx.clock.now()
        if inline and self._idle and (self._idle_until is None or now < self._idle_until):
            return
        service = self._service(ctx)
        tick(service)
        if inline:
            self._deliver(ctx)
            self._idle_until = next_due(service)
            self._idle = True

    def _take_alerts(self, ctx: Context) -> None:
        start = int(ctx.shared.get(_SEEN, 0))
        fresh = ctx.alerts[start:]
        if not fresh:
            return
        self._idle = False
        ctx.shared[_SEEN] = len(ctx.alerts)
        service = self._service(ctx)
        for alert in sorted(fresh, key=lambda a: a.detected_at):
            ingest_alert(service, alert)

    def _service(self, ctx: Context) -> IncidentService:
        memo = ctx.shared.get(EXPOSURE_MEMO)
        if isinstance(memo, ExposureMemo) and ctx.session.get_bind().dialect.name == "sqlite":
            return IncidentService(
                ctx.session, ctx.clock, ctx.config, ctx.settings, exposure_of=memo
            )
        return IncidentService(ctx.session, ctx.clock, ctx.config, ctx.settings)

    def _deliver(self, ctx: Context) -> None:
        if self._worker is None or self._worker.clock is not ctx.clock:
            self._worker = OutboxWorker(None, ctx.config.respond, ctx.settings, ctx.clock)
        self._worker.run_in(ctx.session)

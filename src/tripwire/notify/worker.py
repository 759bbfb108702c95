"""The outbox worker: claims due notifications, sends them, records the outcome.

Order: a notification waits while an earlier one for the same incident and channel is still
pending, so each receiver sees an incident's messages in order, and a dead channel only holds
back its own messages. Claims are conditional UPDATEs, so several workers can share a table.
Scheduling (due times, backoff, locks) uses the injected clock; only the sending itself runs on
the wall clock.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from tripwire.config.respond import RespondConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.notify.backoff import Backoff
from tripwire.notify.channel import Channel, DeliveryError, Notification
from tripwire.notify.registry import build
from tripwire.store.db import Database
from tripwire.store.tables.respond import ChannelStateRow
from tripwire.store.tables.runtime import OutboxRow

log = logging.getLogger("tripwire.notify")
LOCK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Outcome:
    note: Notification
    error: DeliveryError | None


class OutboxWorker:
    """`run_once()` delivers one round in its own transactions (serve); `run_in(session)`
    delivers in the caller's transaction (replay, on event time)."""

    def __init__(
        self,
        db: Database | None,
        config: RespondConfig,
        settings: Settings,
        clock: Clock,
        *,
        batch: int = 64,
        parallel: int = 8,
        backoff: Backoff | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self.parallel = parallel
        self.backoff = backoff or Backoff()
        self._channels: dict[str, Channel | str] = {}
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="notify")

    def run_once(self) -> bool:
        """One round; True when it sent anything (so the caller loops without sleeping)."""
        assert self.db is not None
        with self.db.session() as session:
            claimed = self._claim(session, self.clock.now())
        if not claimed:
            return False
        outcomes = list(self._pool.map(self._send, claimed))
        with self.db.session() as session:
            self._record(session, outcomes, self.clock.now())
        return True

    def run_in(self, session: Session) -> int:
        """Deliver everything due now inside `session`; returns how many were attempted."""
        done = 0
        while True:
            claimed = self._claim(session, self.clock.now())
            if not claimed:
                return done
            self._record(session, [self._send(n) for n in claimed], self.clock.now())
            done += len(claimed)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _claim(self, session: Session, now: datetime) -> list[Notification]:
        earlier = aliased(OutboxRow)
        blocked = exists().where(
            earlier.status == "pending",
            earlier.ordering_key == OutboxRow.ordering_key,
            earlier.channel == OutboxRow.channel,
            earlier.seq < OutboxRow.seq,
        )
        free = or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now)
        due = and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, free)
        query = select(OutboxRow).where(due, ~blocked).order_by(OutboxRow.seq).limit(self.batch)
        rows = session.scalars(query.execution_options(populate_existing=True)).all()
        disabled = set(session.scalars(select(ChannelStateRow.channel)))
        claimed: list[Notification] = []
        for row in rows:
            if row.channel in disabled:
                row.status, row.last_error = "failed", "channel disabled (410 Gone)"
                continue
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.seq == row.seq, due)
                .values(locked_until=now + LOCK, attempts=OutboxRow.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                claimed.append(
                    Notification(row.id, row.kind, row.channel, row.payload, row.attempts + 1)
                )
        session.flush()
        return claimed

    def _channel(self, name: str) -> Channel | str:
        if name not in self._channels:
            config = self.config.channels.get(name)
            if config is None:
                self._channels[name] = f"channel {name!r} is not configured"
            else:
                try:
                    self._channels[name] = build(name, config, self.settings)
                except ValueError as exc:
                    self._channels[name] = str(exc)
        return self._channels[name]

    def _send(self, note: Notification) -> Outcome:
        channel = self._channel(note.channel)
        try:
            if isinstance(channel, str):
                raise DeliveryError(channel, permanent=True)
            channel.send(note)
        except DeliveryError as exc:
            log.warning("notification %s via %s failed: %s", note.id, note.channel, exc)
            return Outcome(note, exc)
        except Exception as exc:  # a broken plug-in must not stop the worker
            log.exception("channel %s raised", note.channel)
            return Outcome(note, DeliveryError(f"{type(exc).__name__}: {exc}"))
        return Outcome(note, None)

    def _record(self, session: Session, outcomes: list[Outcome], now: datetime) -> None:
        for outcome in outcomes:
            query = select(OutboxRow).where(OutboxRow.id == outcome.note.id)
            row = session.scalar(query.execution_options(populate_existing=True))
            if row is None:
                continue
            row.locked_until = None
            error = outcome.error
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
                continue
            row.last_error = str(error)[:2000]
            if error.disable:
                self._disable(session, row.channel, str(error), now)
            if error.permanent or row.attempts >= self.backoff.max_attempts:
                row.status = "failed"
            else:
                row.next_attempt_at = now + self.backoff.delay(row.attempts, error.retry_after)
        session.flush()

    def _disable(self, session: Session, channel: str, reason: str, now: datetime) -> None:
        if session.get(ChannelStateRow, channel) is None:
            session.add(ChannelStateRow(channel=channel, disabled_at=now, reason=reason[:2000]))
            log.error("channel %s disabled: %s", channel, reason)

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
from tripwire.notify.webhook import subscribers
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
        self._pool: ThreadPoolExecutor | None = None  # made on first use: run_in needs none

    def run_once(self) -> bool:
        """One round; True when it sent anything (so the caller loops without sleeping)."""
        assert self.db is not None
        with self.db.session() as session:
            claimed = self._claim(session, self.clock.now())
        if not claimed:
            return False
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="notify")
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
        """Wait for sends in flight and stop the sending threads (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _claim(self, session: Session, now: datetime) -> list[Notification]:
        """Lock up to `batch` due notifications in one UPDATE ... RETURNING.

        Writing first matters on SQLite: a transaction that reads and then writes cannot
        upgrade its lock while another process writes, a lone write simply waits its turn.
        """
        self._fail_disabled(session)
        earlier = aliased(OutboxRow)
        blocked = exists().where(
            earlier.status == "pending",
            earlier.ordering_key == OutboxRow.ordering_key,
            earlier.channel == OutboxRow.channel,
            earlier.seq < OutboxRow.seq,
        )
        free = or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now)
        due = and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, free)
        pick = select(OutboxRow.seq).where(due, ~blocked).order_by(OutboxRow.seq).limit(self.batch)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        rows = session.execute(
            update(OutboxRow)
            .where(OutboxRow.seq.in_(pick.scalar_subquery()), due)
            .values(locked_until=now + LOCK, attempts=OutboxRow.attempts + 1)
            .returning(
                OutboxRow.seq,
                OutboxRow.id,
                OutboxRow.kind,
                OutboxRow.channel,
                OutboxRow.payload,
                OutboxRow.attempts,
            )
            .execution_options(synchronize_session=False)
        ).all()
        return [
            Notification(r.id, r.kind, r.channel, r.payload, r.attempts)
            for r in sorted(rows, key=lambda r: r.seq)
        ]

    def _fail_disabled(self, session: Session) -> None:
        disabled = select(ChannelStateRow.channel).where(ChannelStateRow.disabled_at.is_not(None))
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == "pending", OutboxRow.channel.in_(disabled))
            .values(status="failed", last_error="channel disabled (410 Gone)")
            .execution_options(synchronize_session=False)
        )

    def _channel(self, name: str) -> Channel | str:
        if name not in self._channels:
            config = self.config.channels.get(name)
            if name == subscribers.CHANNEL:
                self._channels[name] = subscribers.SubscriberWebhookChannel(self.settings)
            elif config is None:
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
            note, error = outcome.note, outcome.error
            values: dict[str, object] = {"locked_until": None}
            if error is None:
                values.update(status="delivered", delivered_at=now, last_error=None)
            else:
                values["last_error"] = str(error)[:2000]
                if error.permanent or note.attempt >= self.backoff.max_attempts:
                    values["status"] = "failed"
                else:
                    delay = self.backoff.delay(note.attempt, error.retry_after)
                    values["next_attempt_at"] = now + delay
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == note.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if error is not None and error.disable:
                self._disable(session, note.channel, str(error), now)

    def _disable(self, session: Session, channel: str, reason: str, now: datetime) -> None:
        if session.get(ChannelStateRow, channel) is None:
            session.add(ChannelStateRow(channel=channel, disabled_at=now, reason=reason[:2000]))
            log.error("channel %s disabled: %s", channel, reason)

"""The data lifecycle of stored events: retention and per-user deletion, audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tripwire.domain.clock import Clock, isoformat_z
from tripwire.store import event_days
from tripwire.store import retention as store
from tripwire.store.db import Database
from tripwire.store.retention import UserDeletion
from tripwire.store.runtime import try_lease

log = logging.getLogger(__name__)

RETENTION_LEASE = "retention"
LEASE_TTL = timedelta(minutes=10)
MAX_BATCHES_PER_ROUND = 200  # a round deletes at most 1,000,000 rows, then lets others run
DAYS_AHEAD = 7  # day partitions exist this far ahead (ingest refuses ts > 1 day ahead by default)


@dataclass(frozen=True, slots=True)
class Retention:
    """Drops raw events older than `days` (processed by the pipeline). Several processes may
    run it: the `retention` lease lets one at a time work.

    On PostgreSQL each round also keeps the day partitions in order: it creates the missing days
    from the cutoff to `DAYS_AHEAD` days ahead, and drops every day that ended before the
    cutoff's day began (so an event stays between `days` and `days + 1` days). Elsewhere, and for
    PostgreSQL's default partition, it deletes rows batch by batch."""

    db: Database
    clock: Clock
    days: int
    holder: str = "retention"

    def run_once(self, requested_by: str = "retention", *, leased: bool = True) -> int:
        """Delete what has expired; returns how many events went (audited when any). An
        operator's run (`leased=False`) does not wait for the background's lease."""
        now = self.clock.now()
        with self.db.session() as session:
            if leased and not try_lease(session, RETENTION_LEASE, self.holder, now, LEASE_TTL):
                return 0
            partitioned = event_days.is_partitioned(session)
        cutoff = now - timedelta(days=self.days)
        total = self._keep_days(now, cutoff) if partitioned else 0
        total += self._delete_rows(cutoff)
        if total:
            with self.db.session() as session:
                store.audit(session, "retention", isoformat_z(cutoff), requested_by, total, now)
        return total

    def tick(self) -> bool:
        """For the background loop: never asks to be called again at once."""
        self.run_once()
        return False

    def _delete_rows(self, cutoff: datetime) -> int:
        total = 0
        for _ in range(MAX_BATCHES_PER_ROUND):
            with self.db.session() as session:
                deleted = store.delete_expired_batch(session, cutoff)
            total += deleted
            if deleted < store.BATCH:
                break
        return total

    def _keep_days(self, now: datetime, cutoff: datetime) -> int:
        """Create the day partitions ahead, drop the expired ones; returns the events dropped.
        A day whose change meets a busy table is left for the next round."""
        first = event_days.day_of(cutoff)
        last = event_days.day_of(now) + timedelta(days=DAYS_AHEAD)
        wanted = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        with self.db.read() as session:
            have = set(event_days.days(session))
        dropped = 0
        for day in sorted(have):
            if day < first:
                dropped += self._attempt(day, drop=True)
        for day in wanted:
            if day not in have:
                self._attempt(day, drop=False)
        return dropped

    def _attempt(self, day: date, *, drop: bool) -> int:
        try:
            with self.db.session() as session:
                if not drop:
                    event_days.create_day(session, day)
                    return 0
                gone = event_days.drop_day(session, day)
        except event_days.LockBusy:
            log.info("events busy: the partition of %s waits for the next round", day)
            return 0
        return 0 if gone is None else gone.events


def delete_user(db: Database, clock: Clock, user_id: str, requested_by: str) -> UserDeletion:
    """Delete a user's outputs and feedback (and what refers to those outputs, and their GenAI
    content) in one transaction with its audit row."""
    user_id = user_id.strip()
    if not user_id:
        raise ValueError("user id must not be empty")
    with db.session() as session:
        gone = store.delete_user_data(session, user_id)
        count = gone.events + gone.held_outputs
        store.audit(session, "user", user_id, requested_by, count, clock.now())
    return gone

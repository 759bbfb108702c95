"""The data lifecycle of stored events: retention and per-user deletion, audited."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

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
        """Create the missing day partitions, then drop the expired ones; returns the events
        dropped. The first change that meets a busy table ends the round: the rest waits for
        the next one rather than each change waiting out its own lock timeout."""
        today, first = event_days.day_of(now), event_days.day_of(cutoff)
        # Today and the days ahead first: they are the ones live events need.
        wanted = [today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)]
        wanted += [first + timedelta(days=n) for n in range((today - first).days)]
        with self.db.read() as session:
            have = set(event_days.days(session))
        dropped = 0
        try:
            for day in wanted:
                if day not in have:
                    with self.db.session() as session:
                        event_days.create_day(session, day)
            for day in sorted(d for d in have if d < first):
                with self.db.session() as session:
                    gone = event_days.drop_day(session, day)
                dropped += 0 if gone is None else gone.events
        except event_days.LockBusy:
            log.info("events stayed busy: the day partitions wait for the next round")
        return dropped


def delete_user(db: Database, clock: Clock, user_id: str, requested_by: str) -> UserDeletion:
    """Delete a user's outputs and feedback (and what refers to those outputs, and their GenAI
    content) in one transaction with its audit row."""
    # Exactly as the events carry it: stripping " alice" would delete alice's data.
    if not user_id:
        raise ValueError("user id must not be empty")
    with db.session() as session:
        gone = store.delete_user_data(session, user_id)
        count = gone.events + gone.held_outputs
        store.audit(session, "user", user_id, requested_by, count, clock.now())
    return gone

"""The data lifecycle of stored events: retention and per-user deletion, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tripwire.domain.clock import Clock, isoformat_z
from tripwire.store import retention as store
from tripwire.store.db import Database
from tripwire.store.runtime import try_lease

RETENTION_LEASE = "retention"
LEASE_TTL = timedelta(minutes=10)
MAX_BATCHES_PER_ROUND = 200  # a round deletes at most 1,000,000 rows, then lets others run


@dataclass(frozen=True, slots=True)
class Retention:
    """Drops raw events older than `days` (processed by the pipeline), batch by batch. Several
    processes may run it: the `retention` lease lets one at a time work."""

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
        cutoff = now - timedelta(days=self.days)
        total = 0
        for _ in range(MAX_BATCHES_PER_ROUND):
            with self.db.session() as session:
                deleted = store.delete_expired_batch(session, cutoff)
            total += deleted
            if deleted < store.BATCH:
                break
        if total:
            with self.db.session() as session:
                store.audit(session, "retention", isoformat_z(cutoff), requested_by, total, now)
        return total

    def tick(self) -> bool:
        """For the background loop: never asks to be called again at once."""
        self.run_once()
        return False


def delete_user(db: Database, clock: Clock, user_id: str, requested_by: str) -> int:
    """Delete a user's outputs and feedback (and what refers to those outputs) in one
    transaction with its audit row; returns how many events went."""
    # Exactly as the events carry it: stripping " alice" would delete alice's data.
    if not user_id:
        raise ValueError("user id must not be empty")
    with db.session() as session:
        count = store.delete_user_data(session, user_id)
        store.audit(session, "user", user_id, requested_by, count, clock.now())
    return count

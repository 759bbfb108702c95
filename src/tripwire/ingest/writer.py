"""Durable, idempotent writes of validated events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tripwire.domain.clock import Clock
from tripwire.domain.events import Event, event_to_json
from tripwire.store.db import Database
from tripwire.store.events import event_row, insert_new


@dataclass(frozen=True, slots=True)
class WriteResult:
    accepted: int
    duplicates: int


def store_events(db: Database, events: Sequence[Event], clock: Clock) -> WriteResult:
    """Store the events not stored yet, in one committed transaction, before returning.

    A repeated id (already stored, or twice in this batch) is counted as a duplicate and has no
    effect: the later stages follow the events table, so they only ever see the stored copy.
    """
    if not events:
        return WriteResult(0, 0)
    received = clock.now()
    rows = [event_row(event_to_json(e), e.ts, received) for e in events]
    with db.session() as session:
        inserted = insert_new(session, rows)
    return WriteResult(len(inserted), len(events) - len(inserted))

"""Durable, idempotent writes of validated events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tripwire.domain.clock import Clock
from tripwire.domain.events import Event
from tripwire.ingest.validate import EVENT_LIST
from tripwire.store.affected_hours import OutputFields
from tripwire.store.db import Database
from tripwire.store.events import LoadRow, load_count


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
    loads = [load_row(e) for e in events]  # each event serialised once, outside the transaction
    fields = [counted_fields(e) for e in events]
    with db.session() as session:
        accepted = load_count(session, loads, received, fields)
    return WriteResult(accepted, len(events) - accepted)


def load_row(event: Event) -> LoadRow:
    """The columns of one event for the bulk loaders, its payload serialised once."""
    # __dict__, not getattr: pydantic's __getattr__ is slow for fields a type does not have.
    output_id = event.__dict__.get("output_id")
    # The model's serializer itself: `model_dump_json` adds a Python call and checks per event.
    text = event.__pydantic_serializer__.to_json(event, exclude_none=True).decode("utf-8")
    return (event.id, event.type, event.ts, event.use_case, output_id, text)


def counted_fields(event: Event) -> OutputFields | None:
    """What the affected-users hourly counts read of an output (user, segment, inline scores),
    from the model instead of its JSON text; None for other events."""
    if event.type != "output":
        return None
    fields = event.__dict__
    return (
        fields["user_id"],
        fields["model"],
        fields["model_version"],
        fields["prompt_version"],
        fields["scores"] is not None,
    )


def normalised(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The stored JSON form of each event (as `event_to_json`), serialised in one call."""
    dumped: list[dict[str, Any]] = EVENT_LIST.dump_python(
        list(events), mode="json", exclude_none=True
    )
    return dumped

"""Durable, idempotent writes of validated events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import Clock, as_utc
from tripwire.domain.events import Event
from tripwire.ingest.validate import EVENT_LIST
from tripwire.store.affected_hours import OutputFields
from tripwire.store.db import Database
from tripwire.store.events import (
    INGESTED,
    LoadRow,
    SqliteParams,
    load_count,
    load_sqlite_params,
    sqlite_time,
)
from tripwire.store.partitions import partition_count, partition_of


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
    with db.session() as session:
        accepted = load_events(session, events, received)
    return WriteResult(accepted, len(events) - accepted)


def load_events(session: Session, events: Sequence[Event], received: datetime) -> int:
    """Store the events not stored yet in `session`'s transaction; returns how many were new.

    Each event is serialised once, and its SQLite parameters and counted fields are taken in
    the same pass, all before the first statement: on SQLite that statement's BEGIN IMMEDIATE
    takes the one write lock, which the pipeline and the other batches are waiting for.
    """
    if session.get_bind().dialect.name != "sqlite":  # no hourly counts there (portable query)
        return load_count(session, [load_row(e) for e in events], received)
    params, fields = sqlite_params(events, sqlite_time(received), partition_count(session))
    return load_sqlite_params(session, params, fields)


def sqlite_params(
    events: Sequence[Event], received: str, parts: int
) -> tuple[list[SqliteParams], list[OutputFields | None]]:
    """The SQLite parameters of each event (`load_sqlite_params`' form: what `load_row` and the
    store's `_sqlite_params` give, in one pass instead of two loops and a tuple between them)
    and the counted fields of each (`counted_fields`). `received`: the `sqlite_time` of now."""
    params: list[SqliteParams] = []
    fields: list[OutputFields | None] = []
    part_of: dict[str | None, int] = {}  # a batch holds a handful of use cases: hash each once
    for event in events:
        # __dict__, not getattr: pydantic's __getattr__ is slow for fields a type does not have.
        values = event.__dict__
        text = event.__pydantic_serializer__.to_json(event, exclude_none=True).decode("utf-8")
        ts = values["ts"]
        if ts.tzinfo is not UTC:  # validated times are UTC already
            ts = as_utc(ts)
        use_case = values["use_case"]
        part = part_of.get(use_case)
        if part is None:
            part = part_of[use_case] = partition_of(use_case, parts)
        kind = values["type"]
        when = ts.isoformat(" ", "microseconds")[:26]  # `sqlite_time`, inlined
        output_id = values.get("output_id")
        params.append(
            (values["id"], kind, when, use_case, output_id, received, INGESTED, text, part)
        )
        fields.append(counted_fields(event))
    return params, fields


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

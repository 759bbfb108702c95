"""Storing OTLP trace exports: map, link evaluations to outputs, validate, store durably."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from tripwire.domain.clock import Clock
from tripwire.domain.events import Event
from tripwire.ingest.genai_join import JoinLimits, hold_outputs
from tripwire.ingest.otlp import (
    MappedEvent,
    OtlpMapping,
    StoredOutputs,
    map_request,
    settle,
    unsettled,
)
from tripwire.ingest.validate import EVENT_LIST, BatchInvalid, parse_event
from tripwire.ingest.window import EventWindow, check_window
from tripwire.ingest.writer import WriteResult, load_events, store_events
from tripwire.store.db import Database
from tripwire.store.events import outputs_by_id, outputs_by_response_id
from tripwire.store.genai import held_by_response_id, held_payloads, lock_join

# How far back an evaluation's `gen_ai.response.id` is looked for among stored outputs.
RESPONSE_ID_WINDOW = timedelta(days=1)
MAX_PROBLEMS_REPORTED = 20


class TooManyEvents(ValueError):
    """The export maps to more events than one batch may hold (HTTP 413)."""


@dataclass(frozen=True, slots=True)
class OtlpResult:
    """What became of one export: stored, already known, refused and ignored."""

    accepted: int
    duplicates: int
    rejected_spans: int
    ignored_spans: int
    message: str


def ingest_traces(
    db: Database,
    request: Any,
    clock: Clock,
    max_events: int,
    join: JoinLimits,
    window: EventWindow,
) -> OtlpResult:
    """Store the GenAI content of `request` (an `ExportTraceServiceRequest`).

    Unlike `/v1/events`, a bad span does not sink the export: OTLP reports it back as a partial
    success, and everything valid is committed before this returns. Outputs whose content may
    follow as log records wait for it (`tripwire.ingest.genai_join`).
    """
    mapping = map_request(request)
    if len(mapping.events) > max_events:
        raise TooManyEvents(
            f"this export maps to {len(mapping.events)} events; at most {max_events} per request"
        )
    by_response, by_id = _lookup(db, mapping)
    settle(mapping, by_response, by_id)
    validated = _validate(mapping, window, clock.now())
    joinable = [e for m, e in validated if m.joinable]
    events = [e for m, e in validated if not m.joinable]
    written = _store(db, events, joinable, clock, join)
    problems = mapping.problems
    return OtlpResult(
        accepted=written.accepted,
        duplicates=written.duplicates,
        rejected_spans=len({span for span, _ in problems}),
        ignored_spans=mapping.ignored_spans,
        message=_summary(problems),
    )


def _store(
    db: Database, events: list[Event], joinable: list[Event], clock: Clock, join: JoinLimits
) -> WriteResult:
    if not joinable:
        return store_events(db, events, clock)
    with db.session() as session:
        lock_join(session)
        now = clock.now()
        accepted = load_events(session, events, now)
        accepted += hold_outputs(session, joinable, now, join)
    return WriteResult(accepted, len(events) + len(joinable) - accepted)


def _lookup(db: Database, mapping: OtlpMapping) -> tuple[StoredOutputs, StoredOutputs]:
    response_ids, output_ids = unsettled(mapping)
    # No stored output holds a NUL (`domain.events.NO_NUL`) and PostgreSQL takes none as a
    # parameter: such an id stays unresolved, its evaluation refused, on every backend.
    response_ids = {r for r in response_ids if "\x00" not in r}
    if not response_ids and not output_ids:
        return {}, {}
    since = _earliest(mapping) - RESPONSE_ID_WINDOW
    with db.session() as session:
        by_response = outputs_by_response_id(session, sorted(response_ids), since)
        by_response.update(held_by_response_id(session, sorted(response_ids - set(by_response))))
        by_id = outputs_by_id(session, sorted(output_ids))
        held = held_payloads(session, sorted(output_ids - set(by_id)))
        by_id.update({i: (i, p.get("use_case")) for i, p in held.items()})
    return by_response, by_id


def _earliest(mapping: OtlpMapping) -> datetime:
    times = [m.raw["ts"] for m in mapping.events if isinstance(m.raw.get("ts"), datetime)]
    return min(times) if times else datetime(1970, 1, 1, tzinfo=UTC)


def _validate(
    mapping: OtlpMapping, window: EventWindow, now: datetime
) -> list[tuple[MappedEvent, Event]]:
    try:
        # The usual export is all valid: one call for all its events, one window check.
        valid = EVENT_LIST.validate_python([m.raw for m in mapping.events])
        check_window(valid, window, now)
    except (ValidationError, BatchInvalid):
        return _validate_each(mapping, window, now)  # which spans are refused, and why
    return list(zip(mapping.events, valid, strict=True))


def _validate_each(
    mapping: OtlpMapping, window: EventWindow, now: datetime
) -> list[tuple[MappedEvent, Event]]:
    events: list[tuple[MappedEvent, Event]] = []
    for index, mapped in enumerate(mapping.events):
        try:
            event = parse_event(mapped.raw, index)
            check_window([event], window, now)
            events.append((mapped, event))
        except BatchInvalid as exc:
            detail = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            what = f"{mapped.raw.get('type')} {mapped.raw.get('id')}"
            mapping.problems.append((mapped.span, f"{what}: {detail}"))
    return events


def _summary(problems: list[tuple[str, str]]) -> str:
    if not problems:
        return ""
    shown = [f"span {span}: {message}" for span, message in problems[:MAX_PROBLEMS_REPORTED]]
    more = len(problems) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")

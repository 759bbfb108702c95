"""Validate a batch of events, all or nothing, naming every bad event and field."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from tripwire.domain.events import EVENT_ADAPTER, EVENT_TYPES, Event

MAX_ERRORS_REPORTED = 100
EVENT_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


class _Body(BaseModel):
    events: list[Event]


class BodyError(ValueError):
    """The body is not `{"events": [...]}` or holds too many events; `status` is the HTTP one."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class EventError:
    """One problem: which event (position and id) and which field."""

    index: int
    id: str | None
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        who = f"event {self.index}" + (f" (id {self.id!r})" if self.id else "")
        return f"{who}: {self.field}: {self.message}"


class BatchInvalid(Exception):
    """At least one event is invalid; nothing of the batch may be stored."""

    def __init__(self, errors: list[EventError], total_bad: int) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors
        self.total_bad = total_bad


def parse_body(body: bytes, max_events: int) -> list[Event]:
    """The events of a `{"events": [...]}` JSON body, all valid, or an exception saying why:
    BodyError (not JSON, wrong shape, more than `max_events`) or BatchInvalid (bad events).
    """
    try:
        # Fast path: parse and validate in one pass inside pydantic-core. Any failure is
        # explained by the slower path below, which names each bad event and field.
        events = _BODY.validate_json(body).events
    except ValidationError:
        return parse_batch(_events_of(_loads(body), max_events))
    if len(events) > max_events:
        raise _too_many(len(events), max_events)
    return events


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BodyError(400, "body is not valid JSON: nested too deeply") from None


def _events_of(raw: Any, max_events: int) -> list[Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise BodyError(422, 'body must be {"events": [EVENT, ...]}')
    events: list[Any] = raw["events"]
    if len(events) > max_events:
        raise _too_many(len(events), max_events)
    return events


def _too_many(count: int, limit: int) -> BodyError:
    return BodyError(413, f"{count} events in one batch; at most {limit} are accepted")


_BODY = TypeAdapter(_Body)


def parse_event(raw: object, index: int = 0) -> Event:
    """Validate one event or raise BatchInvalid describing it."""
    try:
        return EVENT_ADAPTER.validate_python(raw)
    except ValidationError:
        pass  # explained below: the valid case, the usual one, validates once
    errors = _errors_for(raw, index)
    raise BatchInvalid(errors or [EventError(index, None, "(event)", "invalid event")], 1)


def parse_batch(raw_events: Sequence[object]) -> list[Event]:
    """Every event valid, or BatchInvalid listing each bad one (the first 100 are detailed)."""
    events: list[Event] = []
    errors: list[EventError] = []
    bad = 0
    for index, raw in enumerate(raw_events):
        try:
            events.append(EVENT_ADAPTER.validate_python(raw))
        except ValidationError:
            bad += 1
            if len(errors) < MAX_ERRORS_REPORTED:
                errors.extend(_errors_for(raw, index))
    if bad:
        raise BatchInvalid(errors, bad)
    return events


def _errors_for(raw: object, index: int) -> list[EventError]:
    if not isinstance(raw, dict):
        return [EventError(index, None, "(event)", "must be a JSON object")]
    event_id = _utf8(raw["id"]) if isinstance(raw.get("id"), str) else None
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        return [EventError(index, event_id, "type", f"must be one of {', '.join(EVENT_TYPES)}")]
    try:
        EVENT_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        return [_describe(index, event_id, err) for err in exc.errors(include_url=False)]
    return []


def _utf8(text: str) -> str:
    """`text` as the answer can hold it: a lone surrogate (an id or a key may hold one, which
    is why the event is refused) written as its escape, not failing the answer's encoding."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe(index: int, event_id: str | None, err: Any) -> EventError:
    loc = list(err["loc"])
    if loc and loc[0] in EVENT_TYPES:  # the discriminator tag pydantic puts first
        loc = loc[1:]
    field = _utf8(".".join(str(p) for p in loc)) or "(event)"
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        message = (
            "unknown field; put custom data under `attributes` (outputs) or `labels` (metrics)"
        )
    elif err["type"] == "string_pattern_mismatch" and "\x00" in str(err["input"]):
        message = "holds a NUL character, which no database stores as text"
    return EventError(index, event_id, field, message)

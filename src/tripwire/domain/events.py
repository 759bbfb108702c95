"""The seven telemetry event types an AI product sends (docs/events.md).

Every field has a size limit so that one hostile event cannot exhaust memory or the store;
the limits are documented in docs/events.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    TypeAdapter,
)

from tripwire.domain.clock import as_utc

MAX_ID = 128
MAX_NAME = 256
MAX_TEXT = 200_000
MAX_CONTEXT_ITEMS = 100
MAX_OBJECT_KEYS = 64

EVENT_TYPES = ("output", "feedback", "safety", "ticket", "change", "score", "metric")
EventType = Literal["output", "feedback", "safety", "ticket", "change", "score", "metric"]

# Text without a NUL: PostgreSQL holds none in text or jsonb, and a batch holding one failed
# there whole (and again on every retry) while SQLite stored it. A pattern, checked in
# pydantic's Rust core, costs no Python call per field (`tripwire.ingest.validate` words it).
NO_NUL = r"^[^\x00]*$"
EventId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=NO_NUL)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT, pattern=NO_NUL)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
TokenCount = Annotated[StrictInt, Field(ge=0, le=10**12)]
MAX_DEPTH = 16


# Exact types of the values a flat object of attributes holds, floats aside (they may be NaN).
_FLAT = frozenset((str, int, bool, type(None)))
_TEXT_ONLY = frozenset((str,))


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse deeply nested objects (they cost recursion everywhere they are read later),
    numbers JSON cannot hold (NaN and infinities would be stored as null, silently) and text
    holding a lone surrogate (`"\\ud800"`: no database driver can encode it) or a NUL
    (`NO_NUL`)."""
    values = value.values()
    kinds = set(map(type, values))  # one pass in C, not a generator step per value
    if kinds <= _FLAT:
        # The usual flat case without floats, checked cheaply: keys and string values at once.
        texts = values if kinds == _TEXT_ONLY else [v for v in values if type(v) is str]
        _check_text([*value, *texts])
        return value
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            _check_text(node)  # the keys; string values come off the stack
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError(f"{node} is not a JSON number; send finite numbers or strings")
        elif isinstance(node, str):
            _check_text((node,))
    return value


def _check_text(texts: Collection[str]) -> None:
    joined = "".join(texts)
    if "\x00" in joined:  # see NO_NUL
        raise ValueError("holds a NUL character, which no database stores as text")
    if joined.isascii():  # one pass in C for the usual all-ASCII case
        return
    for text in texts:
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"{text[:40]!r} holds a lone surrogate; send UTF-8 text") from None


Attributes = Annotated[dict[str, Any], Field(max_length=MAX_OBJECT_KEYS), AfterValidator(_shallow)]

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$",
    re.ASCII,
)


# The shape almost every event carries (UTC, "Z", no fraction or milli/microseconds), which
# `datetime.fromisoformat` reads in one call with the same result as the general path below.
_COMMON_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?Z", re.ASCII)


def parse_rfc3339(value: object) -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset; anything else is refused.

    Every event passes through here, so it does the arithmetic itself instead of asking
    `datetime` to parse offsets (a replay of a million events notices the difference).
    """
    if isinstance(value, str) and _COMMON_UTC.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # e.g. February 30th: the general path words the error
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamp needs a UTC offset, e.g. 2026-11-27T10:00:00Z")
        return as_utc(value)
    found = _RFC3339.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError("must be an RFC 3339 string with an offset, e.g. 2026-11-27T10:00:00Z")
    day, clock, fraction, zulu, sign, hours, minutes = found.groups()
    try:
        when = datetime.fromisoformat(f"{day}T{clock}")
        if fraction:  # Python keeps microseconds only: trim nanoseconds.
            when = when.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        if zulu:
            return when.replace(tzinfo=UTC)
        if int(hours) > 23 or int(minutes) > 59:
            raise ValueError(f"offset {sign}{hours}:{minutes} is out of range")
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        return (when - offset if sign == "+" else when + offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"not a valid date or time: {exc}") from None


# A plain function, not a `field_validator` classmethod: one Python call per event, not two.
Timestamp = Annotated[datetime, BeforeValidator(parse_rfc3339)]


class _EventBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EventId
    ts: Timestamp
    use_case: Name


class OutputEvent(_EventBase):
    """One production interaction: the prompt, the answer and how it went.

    `input` and `output` are absent (None), not empty, when the product or its instrumentation
    did not capture the content: an absent answer is not scored, an empty one scores as empty.
    """

    type: Literal["output"]
    model: Name
    model_version: Name | None = None
    prompt_version: Name | None = None
    user_id: Name | None = None
    session_id: Name | None = None
    input: Text | None = None
    output: Text | None = None
    input_tokens: TokenCount | None = None
    output_tokens: TokenCount | None = None
    context: Text | Annotated[list[Text], Field(max_length=MAX_CONTEXT_ITEMS)] | None = None
    latency_ms: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    status: Literal["ok", "error", "timeout"] = "ok"
    scores: Annotated[dict[Name, Unit], Field(max_length=MAX_OBJECT_KEYS)] | None = None
    attributes: Attributes | None = None


Rating = Literal["up", "down", "not_helpful"] | Annotated[StrictInt, Field(ge=1, le=5)]


class FeedbackEvent(_EventBase):
    """A user's verdict on an answer; `down`, `not_helpful` and 1-2 stars are negative."""

    type: Literal["feedback"]
    output_id: EventId | None = None
    user_id: Name | None = None
    rating: Rating
    comment: Text | None = None

    @property
    def negative(self) -> bool:
        return is_negative_rating(self.rating)


class SafetyEvent(_EventBase):
    """One safety-filter check; the trigger rate is triggered checks over all checks."""

    type: Literal["safety"]
    filter: Name
    triggered: StrictBool
    output_id: EventId | None = None
    category: Name | None = None


class TicketEvent(_EventBase):
    """One support ticket; Tripwire classifies it when `topic` is absent."""

    type: Literal["ticket"]
    text: Text
    subject: Text | None = None
    channel: Name | None = None
    user_id: Name | None = None
    topic: Name | None = None


class FlagRollback(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flag: Name
    variant: Name | StrictBool


class WebhookRollback(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    webhook: Annotated[
        str, StringConstraints(min_length=8, max_length=2048, pattern=r"^https?://[^\x00]*$")
    ]


ChangeKind = Literal[
    "model_update", "prompt_change", "data_change", "infra_change", "config_change"
]


class EvalGateCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    case: StrictInt | Name
    incident_id: Name | None = None
    description: Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL)] | None = None


class EvalGate(BaseModel):
    """The incident test suite's verdict on this change (what `tripwire evals gate --json`
    prints), so the deployment log shows whether the change passed the incident cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    status: Literal["passed", "failed"]
    target: Name | None = None
    cases: TokenCount | None = None
    passed: TokenCount | None = None
    failed: TokenCount | None = None
    skipped: TokenCount | None = None
    failing: Annotated[list[EvalGateCase], Field(max_length=100)] = []
    url: Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] | None = None


class ChangeEvent(_EventBase):
    """One entry of the deployment log; without `use_case` it affects every use case."""

    type: Literal["change"]
    use_case: Name | None = None  # type: ignore[assignment]
    kind: ChangeKind
    component: Name | None = None
    version: Name
    previous_version: Name | None = None
    description: Text | None = None
    author: Name | None = None
    rollback: FlagRollback | WebhookRollback | None = None
    eval_gate: EvalGate | None = None


class ScoreEvent(_EventBase):
    """A quality score for an earlier output, computed outside Tripwire or by its evaluators."""

    type: Literal["score"]
    output_id: EventId
    name: Name
    value: Unit
    label: Name | None = None
    explanation: Text | None = None
    source: Name | None = None


class MetricEvent(_EventBase):
    """A sample of any other numeric series."""

    type: Literal["metric"]
    name: Name
    value: Annotated[float, Field(allow_inf_nan=False)]
    labels: Annotated[dict[Name, Name], Field(max_length=MAX_OBJECT_KEYS)] | None = None


Event = Annotated[
    OutputEvent
    | FeedbackEvent
    | SafetyEvent
    | TicketEvent
    | ChangeEvent
    | ScoreEvent
    | MetricEvent,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def content_captured(output: dict[str, Any]) -> bool:
    """Whether a stored `output` event carries the answer (absent means not captured)."""
    return isinstance(output.get("output"), str)


def is_negative_rating(rating: str | int) -> bool:
    if isinstance(rating, str):
        return rating in ("down", "not_helpful")
    return rating <= 2


def event_to_json(event: Event) -> dict[str, Any]:
    """The normalised JSON form that is stored and replayed (UTC `Z` timestamps, no nulls)."""
    data = event.model_dump(mode="json", exclude_none=True)
    data["ts"] = data["ts"].replace("+00:00", "Z")
    return data

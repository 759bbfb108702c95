"""One GenAI span as an `output` event: content, tokens, model, status (docs/events.md).

Content that the instrumentation did not capture stays absent (no `input`/`output` key), never
`""`: an answer that is not there cannot be judged, while a captured empty answer can.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from tripwire.domain.events import MAX_TEXT
from tripwire.ingest.otlp_shape import FLATTENED_PREFIXES, TOKEN_FIELDS, SpanShape, shape_of
from tripwire.ingest.otlp_values import attributes, indexed_messages, messages_content

STATUS_ERROR = 2
SCOPE_ATTRIBUTE = "otel.scope.name"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def output_event(
    key: str,
    span: Any,
    attrs: dict[str, Any],
    use_case: Any,
    scope: str,
    shape: SpanShape | None = None,
) -> dict[str, Any]:
    """The raw `output` event of a GenAI span (validated later like any other event).

    Every GenAI span passes through here: plain statements, no per-source closures, the span's
    events read only when it has any, and what its keys decide taken from `shape` when known.
    """
    if shape is None:
        shape = shape_of(attrs)
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    span_events = span.events
    events = {e.name: attributes(e.attributes) for e in span_events} if span_events else _NO_EVENTS
    raw: dict[str, Any] = {
        "id": key,
        "type": "output",
        "ts": unix_time(end or start),
        "use_case": use_case,
        "model": _model(attrs),
        "status": "ok" if span.status.code != STATUS_ERROR else _error_status(span, attrs),
    }
    text = input_text(attrs, events, shape.flattened)
    if text is not None:
        raw["input"] = cut(text)
    text = output_text(attrs, events, shape.flattened)
    if text is not None:
        raw["output"] = cut(text)
    if start and end >= start:
        raw["latency_ms"] = (end - start) / 1e6
    _optional_fields(raw, attrs, shape)
    raw["attributes"] = _extra_attributes(span.name, scope, attrs, shape)
    return raw


_NO_EVENTS: dict[str, dict[str, Any]] = {}


def _optional_fields(raw: dict[str, Any], attrs: dict[str, Any], shape: SpanShape) -> None:
    """The optional fields that the span has attributes for; absent ones (None) are left out."""
    for field, keys in shape.optional:
        value = token_count(attrs, keys) if field in TOKEN_FIELDS else _first_set(attrs, keys)
        if value is not None:
            raw[field] = value


def _first_set(attrs: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """`attrs.get(keys[0]) or attrs.get(keys[1]) or ...`"""
    value = None
    for key in keys:
        value = attrs.get(key)
        if value:
            break
    return value


def input_text(
    attrs: dict[str, Any],
    events: dict[str, dict[str, Any]],
    flattened: Collection[str] = FLATTENED_PREFIXES,
) -> str | None:
    """The prompt from the first source that has one, None when none captured it.
    `flattened`: the prefixes of flattened messages worth scanning the keys for."""
    get = attrs.get
    found = _with_system(get("gen_ai.input.messages"), attrs)
    if found is None:
        found = messages_content(get("gen_ai.prompt"))
    if found is None and "gen_ai.prompt." in flattened:
        found = indexed_messages(attrs, "gen_ai.prompt.", ".content", ".role")
    if found is None and "llm.input_messages." in flattened:
        found = indexed_messages(attrs, "llm.input_messages.", ".message.content", ".message.role")
    if found is None:
        found = messages_content(get("input.value"))
    if found is None and events:
        found = messages_content(events.get("gen_ai.content.prompt", {}).get("gen_ai.prompt"))
    return found


def output_text(
    attrs: dict[str, Any],
    events: dict[str, dict[str, Any]],
    flattened: Collection[str] = FLATTENED_PREFIXES,
) -> str | None:
    """The answer from the first source that has one, None when none captured it."""
    get = attrs.get
    found = messages_content(get("gen_ai.output.messages"))
    if found is None:
        found = messages_content(get("gen_ai.completion"))
    if found is None and "gen_ai.completion." in flattened:
        found = indexed_messages(attrs, "gen_ai.completion.", ".content", ".role")
    if found is None and "llm.output_messages." in flattened:
        found = indexed_messages(attrs, "llm.output_messages.", ".message.content", ".message.role")
    if found is None:
        found = messages_content(get("output.value"))
    if found is None and events:
        found = messages_content(
            events.get("gen_ai.content.completion", {}).get("gen_ai.completion")
        )
    return found


def _with_system(messages: Any, attrs: dict[str, Any]) -> str | None:
    """`gen_ai.input.messages`, with `gen_ai.system_instructions` first as a system message."""
    system = attrs.get("gen_ai.system_instructions")
    if messages is None or system is None:
        return messages_content(messages)
    parsed = _parsed(messages)
    instructions = _parsed(system)
    if not isinstance(parsed, list) or not isinstance(instructions, list):
        return messages_content(messages)
    return messages_content([{"role": "system", "parts": instructions}, *parsed])


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def token_count(attrs: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    """The first usable token count among `keys` (a whole number >= 0)."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and 0 <= value <= 10**12:
            return value
    return None


def _model(attrs: dict[str, Any]) -> Any:
    for key in ("gen_ai.response.model", "gen_ai.request.model", "llm.model_name"):
        if attrs.get(key):
            return attrs[key]
    # OpenInference records a failed call's model only among the invocation parameters.
    params = _parsed(attrs.get("llm.invocation_parameters"))
    if isinstance(params, dict) and isinstance(params.get("model"), str) and params["model"]:
        return params["model"]
    # A GenAI span without a model still tells latency and errors; keep it under a clear name.
    return "unknown"


def _error_status(span: Any, attrs: dict[str, Any]) -> str:
    kinds = [str(attrs.get("error.type", ""))]
    kinds += [
        str(attributes(e.attributes).get("exception.type", ""))
        for e in span.events
        if e.name == "exception"
    ]
    return "timeout" if any("timeout" in k.lower() for k in kinds) else "error"


def _extra_attributes(
    name: str, scope: str, attrs: dict[str, Any], shape: SpanShape
) -> dict[str, Any]:
    extra = {k: attrs[k] for k in shape.kept}
    extra["otel.span.name"] = name
    if scope:
        extra[SCOPE_ATTRIBUTE] = scope
    return extra


def unix_time(unix_nano: int) -> datetime | None:
    """An OTLP time (nanoseconds since the epoch); None (refused later) when unset."""
    if unix_nano <= 0:
        return None  # refused by validation: the event needs a time
    return _EPOCH + timedelta(0, 0, unix_nano // 1000)  # positional: no keyword parsing


def cut(text: str) -> str:
    """Instrumentations cannot shorten what they capture; keep the start rather than refuse."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"

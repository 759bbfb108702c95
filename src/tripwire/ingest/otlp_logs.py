"""OpenTelemetry GenAI log records -> parts of their span's output (docs/instrumenting.md).

Pure: takes a decoded `ExportLogsServiceRequest`, returns one `LogPart` per GenAI record. The
official OpenTelemetry instrumentations send message content this way (one record per message
and per choice, or one `gen_ai.client.inference.operation.details` record), on the span of the
call; `tripwire.ingest.genai_join` joins the parts to that span's output.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from tripwire.ingest.otlp import score_value
from tripwire.ingest.otlp_decode import hex_id, is_hex_id
from tripwire.ingest.otlp_span import cut, input_text, output_text, unix_time
from tripwire.ingest.otlp_values import any_value, attributes, messages_content, tool_calls_text

MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
CHOICE_EVENT = "gen_ai.choice"
DETAILS_EVENT = "gen_ai.client.inference.operation.details"
EVALUATION_EVENT = "gen_ai.evaluation.result"
INPUT, OUTPUT, DETAILS, EVALUATION = "input", "output", "details", "evaluation"


@dataclass(frozen=True, slots=True)
class LogPart:
    """One GenAI log record for the output of span `span` (`<trace hex>-<span hex>`).

    `id` is a hash of the record (re-sent exports are recognised); `position` and `ordinal` order
    the messages; `data` holds what the kind needs: a message's `role` and `text` (None when the
    content was not captured), a choice's `index` and `text`, the operation details' `input` and
    `output`, or an evaluation's score fields. An evaluation without a span carries
    `response_id` instead, to be looked up.
    """

    id: str
    span: str
    kind: str
    position: int
    ordinal: int
    data: dict[str, Any]
    response_id: str | None = None
    label: str = ""


@dataclass
class LogsMapping:
    """What a request holds: parts to join, records that could not be used, records ignored."""

    parts: list[LogPart] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    records: int = 0
    ignored: int = 0


def map_logs(request: Any) -> LogsMapping:
    """Map every log record of an `ExportLogsServiceRequest`."""
    result = LogsMapping()
    seen: dict[str, int] = {}
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                label = f"log record {result.records}"
                result.records += 1
                _map_record(record, label, seen, result)
    return result


def event_name(record: Any, attrs: dict[str, Any]) -> str:
    """The record's event name: the `event_name` field, or the older `event.name` attribute."""
    return str(record.event_name or attrs.get("event.name") or "")


def _map_record(record: Any, label: str, seen: dict[str, int], result: LogsMapping) -> None:
    attrs = attributes(record.attributes)
    name = event_name(record, attrs)
    kind = _kind(name)
    if kind is None:
        result.ignored += 1
        return
    label = f"{label} ({name})"
    span = _span_key(record)
    body = any_value(record.body) if record.HasField("body") else None
    response_id = _text(attrs.get("gen_ai.response.id"))
    if span is None and not (kind == EVALUATION and response_id):
        result.problems.append((label, _no_span(kind)))
        return
    ordinal = seen.get(span or "", 0)
    seen[span or ""] = ordinal + 1
    # The record's own bytes name it, so a re-sent record is recognised however the exporter
    # batches it; two identical records in one export (same time, same text) stay two.
    content = record.SerializeToString(deterministic=True)
    digest = hashlib.sha256(f"{span}|".encode() + content).hexdigest()
    copy = seen.get(digest, 0)
    seen[digest] = copy + 1
    if copy:
        digest = hashlib.sha256(f"{digest}|{copy}".encode()).hexdigest()
    digest = digest[:40]
    position = int(record.time_unix_nano) or int(record.observed_time_unix_nano)
    data = _data(kind, name, attrs, body, position)
    if _holds_nul([data, response_id]):
        # PostgreSQL stores no NUL in text or jsonb (the whole export failed there), and the
        # joined output would be refused its content (`domain.events.NO_NUL`): this record alone.
        result.problems.append((label, "holds a NUL character, which no database stores as text"))
        return
    part = LogPart(digest, span or "", kind, position, ordinal, data, response_id, label)
    result.parts.append(part)


def _holds_nul(value: Any) -> bool:
    """Whether a text anywhere in `value` (keys too) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def _kind(name: str) -> str | None:
    if name in MESSAGE_EVENTS:
        return INPUT
    return {CHOICE_EVENT: OUTPUT, DETAILS_EVENT: DETAILS, EVALUATION_EVENT: EVALUATION}.get(name)


def _span_key(record: Any) -> str | None:
    if not is_hex_id(record.trace_id, 16) or not is_hex_id(record.span_id, 8):
        return None
    return f"{hex_id(record.trace_id)}-{hex_id(record.span_id)}"


def _no_span(kind: str) -> str:
    if kind == EVALUATION:
        return (
            "an evaluation needs the evaluated span's trace and span id or gen_ai.response.id; "
            "record it while that span is current"
        )
    return (
        "no trace and span id, so it cannot be joined to its call's output; emit it while the "
        "GenAI span is current (the instrumentations do)"
    )


def _data(kind: str, name: str, attrs: dict[str, Any], body: Any, when: int) -> dict[str, Any]:
    if kind == INPUT:
        role = body.get("role") if isinstance(body, dict) else None
        return {"role": _text(role) or MESSAGE_EVENTS[name], "text": _message(body)}
    if kind == OUTPUT:
        index = body.get("index") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        text = _message(message) if message is not None else _message(body)
        return {"index": index if isinstance(index, int) else 0, "text": text}
    if kind == DETAILS:
        merged = {**(body if isinstance(body, dict) else {}), **attrs}
        return {"input": input_text(merged, {}), "output": output_text(merged, {})}
    return _evaluation(attrs, body, when)


def _message(body: Any) -> str | None:
    """The text of a message event's body; None when the content was not captured.

    The instrumentations leave `content` out when capture is off (and tool call arguments):
    what is left (a role, a tool call's name or id) is not the content.
    """
    if isinstance(body, str):
        return cut(body)
    if not isinstance(body, dict):
        return None
    if "content" in body:
        text = messages_content([{"role": "", "content": body["content"]}])
        return cut(text) if text is not None else ""
    calls = body.get("tool_calls")
    if isinstance(calls, list) and any(_has_arguments(c) for c in calls):
        return tool_calls_text(calls)
    return None


def _has_arguments(call: Any) -> bool:
    function = call.get("function") if isinstance(call, dict) else None
    return isinstance(function, dict) and "arguments" in function


def _evaluation(attrs: dict[str, Any], body: Any, when: int) -> dict[str, Any]:
    merged = {**(body if isinstance(body, dict) else {}), **attrs}
    stamp = unix_time(when)
    data: dict[str, Any] = {
        "name": merged.get("gen_ai.evaluation.name"),
        "value": score_value(merged),
        "ts": stamp.isoformat().replace("+00:00", "Z") if stamp else None,
    }
    for field_name, key in (
        ("label", "gen_ai.evaluation.score.label"),
        ("explanation", "gen_ai.evaluation.explanation"),
    ):
        if merged.get(key) is not None:
            data[field_name] = merged[key]
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

"""Hand-built OTLP requests for the mapping tests (the exporter tests use the real SDK)."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
T_START = 1_795_000_000_000_000_000  # 2026-11-18T08:26:40Z
T_END = T_START + 1_250_000_000  # 1.25 s later


def value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    if isinstance(v, str):
        return AnyValue(string_value=v)
    if isinstance(v, list):
        return AnyValue(array_value=ArrayValue(values=[value(x) for x in v]))
    if isinstance(v, dict):
        return AnyValue(kvlist_value=KeyValueList(values=kvs(v)))
    raise TypeError(v)


def kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=value(v)) for k, v in attrs.items()]


def span(
    span_id: int,
    attrs: dict[str, Any],
    *,
    events: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    error: bool = False,
    parent: int | None = None,
    name: str = "chat gpt-4o",
) -> Span:
    result = Span(
        trace_id=TRACE,
        span_id=span_id.to_bytes(8, "big"),
        name=name,
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=T_START,
        end_time_unix_nano=T_END,
        attributes=kvs(attrs),
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_OK),
    )
    if parent is not None:
        result.parent_span_id = parent.to_bytes(8, "big")
    for event_name, event_attrs in events:
        result.events.add(name=event_name, time_unix_nano=T_END + 1000, attributes=kvs(event_attrs))
    return result


def request(*spans: Span, service: str = "support-chat") -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.extend(kvs({"service.name": service}))
    rs.scope_spans.add().spans.extend(spans)
    return req


def key(span_id: int) -> str:
    return f"{TRACE.hex()}-{span_id:016x}"


CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.input.messages": (
        '[{"role": "user", "parts": [{"type": "text", "content": "What is the refund window?"}]}]'
    ),
    "gen_ai.output.messages": (
        '[{"role": "assistant", "parts": [{"type": "text", "content": "30 days."}],'
        ' "finish_reason": "stop"}]'
    ),
}

# A chat span as the official instrumentation sends it: no content on the span itself.
BARE_CHAT = {
    k: v for k, v in CHAT.items() if k not in ("gen_ai.input.messages", "gen_ai.output.messages")
}
OFFICIAL_SCOPE = "opentelemetry.instrumentation.openai_v2"


def log(
    span_id: int | None,
    event_name: str,
    body: Any = None,
    *,
    attrs: dict[str, Any] | None = None,
    at: int = T_START + 1000,
) -> LogRecord:
    """One log record, on span `span_id` of TRACE (None: outside any span)."""
    record = LogRecord(
        time_unix_nano=at,
        observed_time_unix_nano=at,
        event_name=event_name,
        attributes=kvs({"gen_ai.system": "openai", **(attrs or {})}),
    )
    if body is not None:
        record.body.CopyFrom(value(body))
    if span_id is not None:
        record.trace_id = TRACE
        record.span_id = span_id.to_bytes(8, "big")
    return record


def chat_logs(
    span_id: int, answer: str | None = "30 days.", *, captured: bool = True
) -> list[LogRecord]:
    """The records of one call: a system and a user message, then the choice."""

    def content(text: str) -> dict[str, Any] | None:
        return {"content": text} if captured else None

    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant"}}
    if captured and answer:
        choice["message"]["content"] = answer
    return [
        log(span_id, "gen_ai.system.message", content("Be brief."), at=T_START + 1000),
        log(
            span_id, "gen_ai.user.message", content("What is the refund window?"), at=T_START + 2000
        ),
        log(span_id, "gen_ai.choice", choice, at=T_END - 1000),
    ]


def logs_request(
    *records: LogRecord, service: str = "support-chat", scope: str = OFFICIAL_SCOPE
) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.extend(kvs({"service.name": service}))
    sl = rl.scope_logs.add()
    sl.scope.name = scope
    sl.log_records.extend(records)
    return req


def scoped(
    req: ExportTraceServiceRequest, scope: str = OFFICIAL_SCOPE
) -> ExportTraceServiceRequest:
    """`req` as sent by the instrumentation named `scope`."""
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            ss.scope.name = scope
    return req

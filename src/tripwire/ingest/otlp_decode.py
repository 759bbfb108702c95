"""Decoding OTLP/HTTP trace and log export bodies: protobuf and the OTLP/JSON mapping.

OTLP/JSON differs from the standard protobuf JSON mapping in one way that matters here: trace
and span ids are hex strings, not base64. They are rewritten before `json_format` parses them.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsPartialSuccess,
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# json_format accepts both the lowerCamelCase and the original field names.
_ID_FIELDS = {
    "traceId": 16,
    "spanId": 8,
    "parentSpanId": 8,
    "trace_id": 16,
    "span_id": 8,
    "parent_span_id": 8,
}


class OtlpDecodeError(ValueError):
    """The body is not an OTLP export in the declared encoding (HTTP 400)."""


def media_type(content_type: str | None) -> str | None:
    """`application/x-protobuf`, `application/json`, or None for anything else."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    return base if base in (PROTOBUF, JSON) else None


def decode_request(body: bytes, media: str) -> Any:
    """An `ExportTraceServiceRequest` from a protobuf or OTLP/JSON body."""
    return _decode(body, media, ExportTraceServiceRequest(), "trace", "resourceSpans")


def decode_logs_request(body: bytes, media: str) -> Any:
    """An `ExportLogsServiceRequest` from a protobuf or OTLP/JSON body."""
    return _decode(body, media, ExportLogsServiceRequest(), "logs", "resourceLogs")


def _decode(body: bytes, media: str, request: Any, what: str, top: str) -> Any:
    if media == PROTOBUF:
        try:
            request.ParseFromString(body)
        except (DecodeError, RuntimeError, ValueError) as exc:
            raise OtlpDecodeError(f"body is not a protobuf {what} export: {exc}") from None
        return request
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OtlpDecodeError(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise OtlpDecodeError("body is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise OtlpDecodeError(f'body must be a JSON object like {{"{top}": [...]}}')
    _hex_ids_to_base64(data)
    try:
        # Receivers must ignore unknown fields so newer senders keep working (OTLP spec).
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise OtlpDecodeError(f"body is not an OTLP/JSON {what} export: {exc}") from None
    return request


def encode_response(rejected_spans: int, message: str, media: str) -> bytes:
    """The `ExportTraceServiceResponse`, with `partial_success` only when something was refused."""
    response = ExportTraceServiceResponse()
    if rejected_spans or message:
        response.partial_success.CopyFrom(
            ExportTracePartialSuccess(rejected_spans=rejected_spans, error_message=message)
        )
    return _encode(response, media)


def encode_logs_response(rejected_records: int, message: str, media: str) -> bytes:
    """The `ExportLogsServiceResponse`, with `partial_success` only when something was refused."""
    response = ExportLogsServiceResponse()
    if rejected_records or message:
        response.partial_success.CopyFrom(
            ExportLogsPartialSuccess(rejected_log_records=rejected_records, error_message=message)
        )
    return _encode(response, media)


def _encode(response: Any, media: str) -> bytes:
    if media == PROTOBUF:
        return bytes(response.SerializeToString())
    return str(json_format.MessageToJson(response, indent=None)).encode("utf-8")


def _hex_ids_to_base64(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        size = _ID_FIELDS.get(key)
        if size is not None and isinstance(value, str):
            node[key] = _hex_to_base64(key, value, size)
        elif isinstance(value, dict | list):
            _hex_ids_to_base64(value)


def _hex_to_base64(key: str, value: str, size: int) -> str:
    if value == "":
        return ""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise OtlpDecodeError(f"{key} must be {size * 2} hex digits, got {value[:64]!r}")
    return base64.b64encode(raw).decode("ascii")


def is_hex_id(value: bytes, size: int) -> bool:
    return len(value) == size and value != bytes(size)


def hex_id(value: bytes) -> str:
    return binascii.hexlify(value).decode("ascii")

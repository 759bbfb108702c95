"""POST /v1/otlp/traces with the real OpenTelemetry SDK and OTLP/HTTP exporter, over a socket."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.conftest import Cast
from tests.live import live_server
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import iter_by_time


@pytest.fixture
def url(runtime: Runtime) -> Iterator[str]:
    with live_server(runtime) as base:
        yield base


def record_spans(provider: TracerProvider, *, fail: bool = False) -> None:
    """What an instrumented product emits: one chat span with its evaluation, one HTTP span."""
    tracer = provider.get_tracer("test-instrumentation")
    with (
        tracer.start_as_current_span("POST /ask", kind=SpanKind.SERVER),
        tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as span,
    ):
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.response.id": "chatcmpl-42",
                "gen_ai.conversation.id": "conv-1",
                "gen_ai.usage.output_tokens": 7,
                "tripwire.prompt_version": "p3",
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Refund?"}]}]
                ),
                "gen_ai.output.messages": json.dumps(
                    [{"role": "assistant", "parts": [{"type": "text", "content": "30 days"}]}]
                ),
            }
        )
        span.add_event(
            "gen_ai.evaluation.result",
            {"gen_ai.evaluation.name": "groundedness", "gen_ai.evaluation.score.value": 0.9},
        )
        if fail:
            span.set_status(Status(StatusCode.ERROR, "upstream 500"))


def spans_from_sdk(service: str = "support-chat", *, fail: bool = False) -> list[ReadableSpan]:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    record_spans(provider, fail=fail)
    provider.shutdown()
    return list(memory.get_finished_spans())


def stored(runtime: Runtime) -> dict[str, dict[str, Any]]:
    with runtime.db.session() as session:
        return {e.id: e.payload for e in iter_by_time(session)}


def chat_key(spans: list[ReadableSpan]) -> str:
    chat = next(s for s in spans if s.name == "chat gpt-4o")
    assert chat.context is not None
    return f"{chat.context.trace_id:032x}-{chat.context.span_id:016x}"


def exporter(url: str, token: str, **kwargs: Any) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=f"{url}/v1/otlp/traces",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_the_real_exporter_stores_outputs_and_scores(
    runtime: Runtime, cast: Cast, url: str, compression: Compression
) -> None:
    spans = spans_from_sdk(fail=True)
    assert exporter(url, cast.ingest, compression=compression).export(spans) is (
        SpanExportResult.SUCCESS
    )
    key = chat_key(spans)
    events = stored(runtime)
    assert set(events) == {key, f"{key}-eval0"}  # the HTTP span was ignored
    output = events[key]
    assert output["type"] == "output"
    assert (output["use_case"], output["model"], output["input"], output["output"]) == (
        "support-chat",
        "gpt-4o-2024-08-06",
        "Refund?",
        "30 days",
    )
    assert (output["status"], output["session_id"], output["prompt_version"]) == (
        "error",
        "conv-1",
        "p3",
    )
    assert output["latency_ms"] > 0
    score = events[f"{key}-eval0"]
    assert (score["type"], score["output_id"], score["name"], score["value"]) == (
        "score",
        key,
        "groundedness",
        0.9,
    )


def test_a_batch_processor_in_a_running_product_delivers_and_resending_is_idempotent(
    runtime: Runtime, cast: Cast, url: str
) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "med-summary"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(BatchSpanProcessor(exporter(url, cast.ingest)))
    for _ in range(5):
        record_spans(provider)
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert len(stored(runtime)) == 10
    # An exporter retry sends the same spans again: nothing is stored twice.
    assert exporter(url, cast.ingest).export(list(memory.get_finished_spans())) is (
        SpanExportResult.SUCCESS
    )
    assert len(stored(runtime)) == 10


@pytest.mark.parametrize("who", ["read", "revoked"])
def test_the_exporter_fails_without_an_ingest_token(
    runtime: Runtime, cast: Cast, url: str, who: str
) -> None:
    result = exporter(url, getattr(cast, who)).export(spans_from_sdk())
    assert result is SpanExportResult.FAILURE
    assert stored(runtime) == {}


def otlp_json(spans: list[ReadableSpan]) -> dict[str, Any]:
    """The OTLP/JSON form of what the exporter would send: camelCase keys, hex ids."""
    data: dict[str, Any] = json_format.MessageToDict(encode_spans(spans))
    for rs in data["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for field in ("traceId", "spanId", "parentSpanId"):
                    if field in span:
                        span[field] = base64.b64decode(span[field]).hex()
    return data


def test_otlp_json_from_the_sdk_is_stored_the_same_way(
    runtime: Runtime, cast: Cast, url: str
) -> None:
    spans = spans_from_sdk("json-svc")
    body = otlp_json(spans)
    response = httpx.post(
        f"{url}/v1/otlp/traces", json=body, headers=cast.auth("ingest"), timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {}
    key = chat_key(spans)
    assert stored(runtime)[key]["use_case"] == "json-svc"
    assert stored(runtime)[f"{key}-eval0"]["output_id"] == key

"""The OTLP GenAI mapping, pure: spans in, raw events out (docs/events.md)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import json_format

from tests.otlp_build import CHAT, T_END, T_START, TRACE, key, request, span
from tripwire.ingest.otlp import map_request, settle, unsettled
from tripwire.ingest.otlp_decode import OtlpDecodeError, decode_request
from tripwire.ingest.validate import parse_event


def only_output(req: Any) -> dict[str, Any]:
    mapping = map_request(req)
    settle(mapping, {}, {})
    outputs = [m.raw for m in mapping.events if m.raw["type"] == "output"]
    assert len(outputs) == 1, mapping
    return outputs[0]


def test_a_chat_span_becomes_an_output_event() -> None:
    raw = only_output(request(span(1, CHAT)))
    event = parse_event(raw)
    assert event.type == "output"
    assert event.id == key(1)
    assert event.ts == datetime.fromtimestamp(T_END // 1000 / 1e6, UTC)
    assert event.use_case == "support-chat"
    assert event.model == "gpt-4o-2024-08-06"
    assert event.input == "What is the refund window?"
    assert event.output == "30 days."
    assert event.latency_ms == pytest.approx(1250.0)
    assert event.status == "ok"
    assert event.attributes is not None
    assert event.attributes["gen_ai.usage.input_tokens"] == 12
    assert event.attributes["gen_ai.provider.name"] == "openai"
    assert event.attributes["otel.span.name"] == "chat gpt-4o"
    assert "gen_ai.input.messages" not in event.attributes


def test_the_use_case_attribute_wins_over_the_service_name() -> None:
    raw = only_output(request(span(1, {**CHAT, "tripwire.use_case": "med-summary"})))
    assert raw["use_case"] == "med-summary"


def test_the_request_model_is_used_when_no_response_model_is_given() -> None:
    attrs = {k: v for k, v in CHAT.items() if k != "gen_ai.response.model"}
    assert only_output(request(span(1, attrs)))["model"] == "gpt-4o"


def test_an_error_status_makes_an_error_output_and_a_timeout_type_a_timeout() -> None:
    assert only_output(request(span(1, CHAT, error=True)))["status"] == "error"
    timeout = {**CHAT, "error.type": "TimeoutError"}
    assert only_output(request(span(1, timeout, error=True)))["status"] == "timeout"


def test_optional_fields_come_from_their_attributes() -> None:
    attrs = {
        **CHAT,
        "gen_ai.conversation.id": "conv-9",
        "tripwire.model_version": "2024-08-06",
        "tripwire.prompt_version": "p7",
        "user.id": "u-1",
        "tripwire.context": ["doc one", "doc two"],
    }
    raw = only_output(request(span(1, attrs)))
    event = parse_event(raw)
    assert event.type == "output"
    assert (event.session_id, event.model_version, event.prompt_version, event.user_id) == (
        "conv-9",
        "2024-08-06",
        "p7",
        "u-1",
    )
    assert event.context == ["doc one", "doc two"]


def test_structured_messages_are_read_like_json_strings() -> None:
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
    ]
    attrs = {**CHAT, "gen_ai.input.messages": messages}
    assert only_output(request(span(1, attrs)))["input"] == "system: Be brief.\nuser: Hi"


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({"gen_ai.system": "openai", "gen_ai.prompt": "old prompt", "gen_ai.completion": "old"},
         ("old prompt", "old")),
        ({"gen_ai.system": "openai", "gen_ai.prompt.0.content": "a", "gen_ai.prompt.1.content": "b",
          "gen_ai.completion.0.content": "c"}, ("a\nb", "c")),
        ({"llm.model_name": "claude", "input.value": "in", "output.value": "out"}, ("in", "out")),
        ({"openinference.span.kind": "LLM", "llm.input_messages.0.message.content": "q",
          "llm.output_messages.0.message.content": "r"}, ("q", "r")),
    ],
    ids=["gen_ai.prompt", "openllmetry-indexed", "openinference-values", "openinference-messages"],
)  # fmt: skip
def test_older_and_openinference_attributes_are_understood(
    attrs: dict[str, Any], expected: tuple[str, str]
) -> None:
    raw = only_output(request(span(1, attrs)))
    assert (raw["input"], raw["output"]) == expected
    parse_event(raw)


def test_a_span_without_content_gives_an_output_whose_content_is_absent_not_empty() -> None:
    mapping = map_request(request(span(1, {"gen_ai.request.model": "m"})))
    raw = mapping.events[0].raw
    assert "input" not in raw
    assert "output" not in raw
    assert mapping.events[0].joinable  # its content may still come as log records
    event = parse_event(raw)
    assert event.type == "output"
    assert (event.input, event.output) == (None, None)


def test_a_captured_empty_answer_stays_empty() -> None:
    empty = [{"role": "assistant", "parts": [{"type": "text", "content": ""}]}]
    raw = only_output(request(span(1, {**CHAT, "gen_ai.output.messages": json.dumps(empty)})))
    assert raw["output"] == ""
    oi = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "m",
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "q",
        "llm.output_messages.0.message.role": "assistant",  # content left out: it was ""
    }
    assert only_output(request(span(1, oi)))["output"] == ""


def test_redacted_openinference_content_is_absent_and_not_held() -> None:
    hidden = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "m",
        "input.value": "__REDACTED__",
        "output.value": "__REDACTED__",
    }
    req = request(span(1, hidden))
    req.resource_spans[0].scope_spans[0].scope.name = "openinference.instrumentation.openai"
    mapping = map_request(req)
    raw = mapping.events[0].raw
    assert ("input" in raw, "output" in raw) == (False, False)
    assert not mapping.events[0].joinable  # OpenInference never sends content as log records
    assert raw["attributes"]["otel.scope.name"] == "openinference.instrumentation.openai"


@pytest.mark.parametrize(
    ("attrs", "tokens"),
    [
        ({"gen_ai.usage.input_tokens": 11, "gen_ai.usage.output_tokens": 7}, (11, 7)),
        ({"gen_ai.usage.prompt_tokens": 11, "gen_ai.usage.completion_tokens": 7}, (11, 7)),
        ({"llm.token_count.prompt": 11, "llm.token_count.completion": 7}, (11, 7)),
        ({"gen_ai.usage.input_tokens": -1, "gen_ai.usage.output_tokens": 2.0}, (None, 2)),
    ],
    ids=["semconv", "older-names", "openinference", "bad-values"],
)
def test_token_usage_becomes_first_class(attrs: dict[str, Any], tokens: tuple[Any, Any]) -> None:
    raw = only_output(request(span(1, {"gen_ai.request.model": "m", **attrs})))
    assert (raw.get("input_tokens"), raw.get("output_tokens")) == tokens
    parse_event(raw)


def test_a_failed_openinference_call_keeps_its_model_and_a_timeout_is_a_timeout() -> None:
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.invocation_parameters": json.dumps({"model": "gpt-4o"}),
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "q",
    }
    timeout = {"exception.type": "openai.APITimeoutError", "exception.message": "timed out"}
    raw = only_output(request(span(1, attrs, error=True, events=[("exception", timeout)])))
    assert (raw["model"], raw["status"], raw["input"]) == ("gpt-4o", "timeout", "q")
    assert "output" not in raw


def test_non_genai_spans_and_embeddings_are_ignored_and_counted() -> None:
    req = request(
        span(1, {"http.method": "GET"}, name="GET /"),
        span(2, {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "e"}),
        span(3, CHAT),
    )
    mapping = map_request(req)
    assert mapping.spans == 3
    assert mapping.ignored_spans == 2
    assert [m.raw["id"] for m in mapping.events] == [key(3)]


def test_an_evaluation_on_the_evaluated_span_scores_its_output() -> None:
    evaluation = {
        "gen_ai.evaluation.name": "relevance",
        "gen_ai.evaluation.score.value": 0.8,
        "gen_ai.evaluation.score.label": "relevant",
        "gen_ai.evaluation.explanation": "on topic",
    }
    mapping = map_request(request(span(1, CHAT, events=[("gen_ai.evaluation.result", evaluation)])))
    settle(mapping, {}, {})
    score = parse_event(mapping.events[1].raw)
    assert score.type == "score"
    assert (score.output_id, score.name, score.value) == (key(1), "relevance", 0.8)
    assert (score.label, score.explanation, score.use_case) == (
        "relevant",
        "on topic",
        "support-chat",
    )
    assert score.id == f"{key(1)}-eval0"


def test_an_evaluation_span_finds_its_output_by_response_id_in_the_request() -> None:
    evaluator = span(
        2,
        {"tripwire.use_case": "other"},
        name="evaluate",
        events=[
            ("gen_ai.evaluation.result", {
                "gen_ai.evaluation.name": "quality",
                "gen_ai.evaluation.score.label": "fail",
                "gen_ai.response.id": "chatcmpl-1",
            })
        ],
    )  # fmt: skip
    mapping = map_request(request(span(1, CHAT), evaluator))
    assert unsettled(mapping) == (set(), set())
    settle(mapping, {}, {})
    score = mapping.events[1].raw
    # The label alone gives the value; the score belongs to the output's use case.
    assert (score["output_id"], score["value"], score["use_case"]) == (key(1), 0.0, "support-chat")


def test_unresolved_evaluations_are_looked_up_in_the_store_and_else_refused() -> None:
    ev = {"gen_ai.evaluation.name": "q", "gen_ai.evaluation.score.value": 1.0}
    by_response = span(
        5, {}, events=[("gen_ai.evaluation.result", {**ev, "gen_ai.response.id": "r9"})]
    )
    child = span(6, {}, parent=7, events=[("gen_ai.evaluation.result", ev)])
    orphan = span(8, {}, events=[("gen_ai.evaluation.result", ev)])
    mapping = map_request(request(by_response, child, orphan))
    assert unsettled(mapping) == ({"r9"}, {key(7)})
    settle(mapping, {"r9": ("stored-1", "chat")}, {key(7): (key(7), "chat")})
    linked = {m.raw["id"]: m.raw["output_id"] for m in mapping.events}
    assert linked == {f"{key(5)}-eval0": "stored-1", f"{key(6)}-eval0": key(7)}
    assert [span_key for span_key, _ in mapping.problems] == [key(8)]
    assert "cannot be matched" in mapping.problems[0][1]


def test_an_evaluation_out_of_range_is_refused_by_validation() -> None:
    ev = {"gen_ai.evaluation.name": "stars", "gen_ai.evaluation.score.value": 4.0}
    mapping = map_request(request(span(1, CHAT, events=[("gen_ai.evaluation.result", ev)])))
    settle(mapping, {}, {})
    with pytest.raises(Exception, match="less than or equal to 1"):
        parse_event(mapping.events[1].raw)


def test_very_long_content_is_cut_rather_than_refused() -> None:
    attrs = {**CHAT, "gen_ai.output.messages": "x" * 300_000}
    raw = only_output(request(span(1, attrs)))
    assert len(raw["output"]) == 200_000
    parse_event(raw)


def test_a_span_with_a_zero_trace_id_is_a_problem() -> None:
    bad = span(1, CHAT)
    bad.trace_id = bytes(16)
    mapping = map_request(request(bad))
    assert mapping.events == []
    assert mapping.problems == [("(unknown span)", "span without a valid trace id and span id")]


def test_otlp_json_uses_hex_ids() -> None:
    data = json_format.MessageToDict(request(span(1, CHAT)))
    one = data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    for field in ("traceId", "spanId"):
        one[field] = base64.b64decode(one[field]).hex()
    assert one["traceId"] == TRACE.hex()
    decoded = decode_request(json.dumps(data).encode(), "application/json")
    assert only_output(decoded)["id"] == key(1)
    assert decoded.resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano == T_START


@pytest.mark.parametrize(
    ("body", "media", "message"),
    [
        (b"\xff\xff\xff", "application/x-protobuf", "not a protobuf"),
        (b"{", "application/json", "not valid JSON"),
        (b"[]", "application/json", "must be a JSON object"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',
         "application/json", "traceId must be 32 hex digits"),
        (b'{"resourceSpans": 3}', "application/json", "not an OTLP/JSON"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_with_a_reason(body: bytes, media: str, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message):
        decode_request(body, media)

"""What a span's attribute keys decide is worked out once per export: spans with other keys,
keys in another order and many keys still map exactly as each span alone would."""

from __future__ import annotations

from typing import Any

from tests.otlp_build import CHAT, request, span
from tripwire.domain.events import MAX_OBJECT_KEYS
from tripwire.ingest.otlp import map_request, settle
from tripwire.ingest.otlp_shape import MAX_SHAPES, shape_of
from tripwire.ingest.validate import parse_event

FLATTENED = {
    "gen_ai.system": "openai",
    "gen_ai.request.model": "m",
    "gen_ai.prompt.0.role": "user",
    "gen_ai.prompt.0.content": "q",
    "gen_ai.completion.0.role": "assistant",
    "gen_ai.completion.0.content": "a",
}


def outputs(*spans: Any) -> list[dict[str, Any]]:
    mapping = map_request(request(*spans))
    settle(mapping, {}, {})
    return [m.raw for m in mapping.events if m.raw["type"] == "output"]


def alone(span_id: int, attrs: dict[str, Any]) -> dict[str, Any]:
    return outputs(span(span_id, attrs))[0]


def test_spans_of_one_export_map_as_each_would_alone() -> None:
    other = {**FLATTENED, "gen_ai.prompt.0.content": "q2", "session.id": "s"}
    together = outputs(span(1, FLATTENED), span(2, CHAT), span(3, other), span(4, FLATTENED))
    assert together == [
        alone(1, FLATTENED),
        alone(2, CHAT),
        alone(3, other),
        alone(4, FLATTENED),
    ]
    assert [o["input"] for o in together] == ["q", "What is the refund window?", "q2", "q"]
    assert "session_id" not in together[0]
    assert together[2]["session_id"] == "s"


def test_keys_in_another_order_keep_the_same_attributes_in_name_order() -> None:
    reversed_chat = dict(reversed(list(CHAT.items())))
    first, second = outputs(span(1, CHAT), span(2, reversed_chat))
    assert first == {**second, "id": first["id"]}
    names = list(first["attributes"])  # these exports name no scope: the span name comes last
    assert names[:-1] == sorted(names[:-1])
    assert names[-1] == "otel.span.name"


def test_many_genai_attributes_keep_the_first_by_name_and_stay_valid() -> None:
    many = {"gen_ai.request.model": "m", **{f"gen_ai.x{n:03d}": n for n in range(99, -1, -1)}}
    raw = alone(1, many)
    kept = [k for k in raw["attributes"] if k.startswith("gen_ai.")]
    expected = sorted(many)[: MAX_OBJECT_KEYS - 2]
    assert kept == expected
    assert len(raw["attributes"]) == MAX_OBJECT_KEYS - 1  # and the span name; no scope name
    parse_event(raw)


def test_an_empty_first_attribute_of_a_field_gives_way_to_the_next_or_to_nothing() -> None:
    assert "session_id" not in alone(1, {**CHAT, "gen_ai.conversation.id": ""})
    both = {**CHAT, "gen_ai.conversation.id": "", "session.id": "s"}
    assert alone(1, both)["session_id"] == "s"
    tokens = {**CHAT, "gen_ai.usage.input_tokens": -1, "llm.token_count.prompt": 5}
    assert alone(1, tokens)["input_tokens"] == 5


def test_more_key_sets_than_are_remembered_still_map_each_span() -> None:
    spans = [span(n + 1, {**FLATTENED, f"gen_ai.extra{n}": n}) for n in range(MAX_SHAPES + 6)]
    mapped = outputs(*spans)
    assert len(mapped) == MAX_SHAPES + 6
    for n, raw in enumerate(mapped):
        assert raw["attributes"][f"gen_ai.extra{n}"] == n
        assert (raw["input"], raw["output"]) == ("q", "a")


def test_a_shape_names_the_flattened_messages_and_optional_fields_present() -> None:
    shape = shape_of([*FLATTENED, "session.id", "llm.token_count.prompt"])
    assert shape.flattened == {"gen_ai.prompt.", "gen_ai.completion."}
    assert dict(shape.optional) == {
        "session_id": ("gen_ai.conversation.id", "session.id"),
        "input_tokens": ("llm.token_count.prompt",),
    }
    assert "gen_ai.prompt.0.content" not in shape.kept


def test_an_operation_name_that_is_not_text_is_an_output_not_a_crash() -> None:
    raw = alone(1, {**CHAT, "gen_ai.operation.name": ["chat", "x"]})
    assert raw["attributes"]["gen_ai.operation.name"] == ["chat", "x"]
    assert raw["input"] == "What is the refund window?"
    parse_event(raw)

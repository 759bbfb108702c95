"""Validation of the seven event types: valid examples pass, each kind of mistake is named."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.events_data import VALID, minimal, valid
from tripwire.domain.events import EVENT_TYPES, parse_rfc3339
from tripwire.ingest.validate import BatchInvalid, BodyError, parse_batch, parse_body
from tripwire.ingest.writer import normalised


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_type_is_accepted_in_full_and_minimal_form(kind: str) -> None:
    full, small = parse_batch([valid(kind), minimal(kind)])
    assert full.type == small.type == kind
    assert full.id == VALID[kind]["id"]


def test_the_stored_form_is_utc_with_a_z_and_drops_nulls() -> None:
    (stored,) = normalised(parse_batch([valid("metric")]))
    assert stored["ts"] == "2026-11-20T08:00:00.123456Z"
    assert "labels" in stored
    (bare,) = normalised(parse_batch([minimal("feedback")]))
    assert "comment" not in bare


def test_ratings_may_be_words_or_stars() -> None:
    ratings = ["up", "down", "not_helpful", 1, 5]
    events = parse_batch([valid("feedback", id=f"f{r}", rating=r) for r in ratings])
    assert [e.negative for e in events] == [False, True, True, True, False]  # type: ignore[union-attr]


def test_a_change_without_use_case_affects_everything() -> None:
    (event,) = parse_batch([minimal("change")])
    assert event.use_case is None


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("output", {"model": ""}, "model", "at least 1 character"),
    ("output", {"input": 7}, "input", "valid string"),
    ("output", {"output_tokens": -1}, "output_tokens", "greater than or equal to 0"),
    ("output", {"input_tokens": 1.5}, "input_tokens", "valid integer"),
    ("output", {"status": "crashed"}, "status", "'ok', 'error' or 'timeout'"),
    ("output", {"scores": {"quality": 1.5}}, "scores.quality", "less than or equal to 1"),
    ("output", {"latency_ms": -1}, "latency_ms", "greater than or equal to 0"),
    ("output", {"context": ["doc"] * 101}, "context", "at most 100"),
    ("output", {"attributes": {str(i): i for i in range(65)}}, "attributes", "at most 64"),
    ("output", {"input": "x" * 200_001}, "input", "at most 200000 characters"),
    ("output", {"surprise": 1}, "surprise", "unknown field; put custom data under `attributes`"),
    ("output", {"ts": "2026-11-20T09:00:00"}, "ts", "with an offset"),
    ("output", {"ts": "yesterday"}, "ts", "RFC 3339"),
    ("output", {"ts": "2026-02-30T09:00:00Z"}, "ts", "not a valid date"),
    ("output", {"ts": 1_700_000_000}, "ts", "RFC 3339"),
    ("output", {"use_case": "u" * 257}, "use_case", "at most 256 characters"),
    ("output", {"user_id": 7}, "user_id", "valid string"),
    ("feedback", {"rating": "meh"}, "rating", "'up', 'down' or 'not_helpful'"),
    ("feedback", {"rating": 0}, "rating", "greater than or equal to 1"),
    ("feedback", {"rating": 6}, "rating", "less than or equal to 5"),
    ("feedback", {"rating": 3.0}, "rating", "valid integer"),
    ("feedback", {"rating": True}, "rating", "valid integer"),
    ("feedback", {"output_id": "o" * 129}, "output_id", "at most 128 characters"),
    ("safety", {"triggered": "yes"}, "triggered", "valid boolean"),
    ("safety", {"filter": None}, "filter", "valid string"),
    ("ticket", {"text": "t" * 200_001}, "text", "at most 200000 characters"),
    ("change", {"kind": "deploy"}, "kind", "'model_update'"),
    ("change", {"rollback": {"webhook": "ftp://x.example"}}, "rollback", "https?://"),
    ("change", {"rollback": {"flag": "f"}}, "rollback", "Field required"),
    ("score", {"value": 1.5}, "value", "less than or equal to 1"),
    ("score", {"value": float("nan")}, "value", "finite number"),
    ("score", {"output_id": ""}, "output_id", "at least 1 character"),
    ("metric", {"value": "abc"}, "value", "valid number"),
    ("metric", {"value": float("inf")}, "value", "finite number"),
    ("metric", {"labels": {"a": 1}}, "labels.a", "valid string"),
]


@pytest.mark.parametrize(
    ("kind", "change", "field", "message"),
    INVALID,
    ids=[f"{k}-{f}-{i}" for i, (k, _, f, _) in enumerate(INVALID)],
)
def test_each_mistake_is_named_by_event_and_field(
    kind: str, change: dict[str, Any], field: str, message: str
) -> None:
    bad = valid(kind, **change)
    with pytest.raises(BatchInvalid) as caught:
        parse_batch([valid("safety", id="ok-0"), bad])
    errors = caught.value.errors
    assert caught.value.total_bad == 1
    assert {(e.index, e.id) for e in errors} == {(1, VALID[kind]["id"])}
    matching = [e for e in errors if e.field.startswith(field)]
    assert matching, [str(e) for e in errors]
    assert any(message in e.message for e in matching), [str(e) for e in errors]


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_each_required_field_is_required(kind: str) -> None:
    from tests.events_data import REQUIRED

    for field in REQUIRED[kind]:
        event = minimal(kind)
        del event[field]
        with pytest.raises(BatchInvalid) as caught:
            parse_batch([event])
        named = {e.field for e in caught.value.errors}
        assert field in named, (field, named)


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ("not an object", "(event)", "must be a JSON object"),
        ({"id": "x", "type": "thing"}, "type", "must be one of output, feedback"),
        ({"id": "x"}, "type", "must be one of"),
    ],
)
def test_shapeless_events_are_named_too(raw: Any, field: str, message: str) -> None:
    with pytest.raises(BatchInvalid) as caught:
        parse_batch([raw])
    (error,) = caught.value.errors
    assert (error.index, error.field) == (0, field)
    assert message in error.message


def test_every_bad_event_of_a_batch_is_reported_not_just_the_first() -> None:
    batch = [valid("output", id=f"e{i}", model="" if i % 2 else "m") for i in range(6)]
    with pytest.raises(BatchInvalid) as caught:
        parse_batch(batch)
    assert caught.value.total_bad == 3
    assert [e.id for e in caught.value.errors] == ["e1", "e3", "e5"]
    assert (
        str(caught.value.errors[0])
        == "event 1 (id 'e1'): model: String should have at least 1 character"
    )


def test_reports_are_capped_but_the_count_is_complete() -> None:
    batch = [valid("output", id=f"e{i}", model="") for i in range(250)]
    with pytest.raises(BatchInvalid) as caught:
        parse_batch(batch)
    assert caught.value.total_bad == 250
    assert len(caught.value.errors) == 100


def body(events: list[Any]) -> bytes:
    return json.dumps({"events": events}).encode()


def test_the_fast_and_the_slow_path_agree_on_a_valid_body() -> None:
    events = [valid(k) for k in EVENT_TYPES]
    assert normalised(parse_body(body(events), 10)) == normalised(parse_batch(events))


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"{", 400, "not valid JSON"),
        (b"\xff", 400, "not valid JSON"),
        (b"[" * 100_000, 400, "not valid JSON"),
        (b"[]", 422, 'body must be {"events"'),
        (b'{"events": {}}', 422, 'body must be {"events"'),
        (body([valid("metric", id=str(i)) for i in range(4)]), 413, "at most 3"),
        (body([{"bad": 1}] * 4), 413, "at most 3"),
    ],
)
def test_bodies_that_are_not_batches_are_refused(raw: bytes, status: int, message: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_body(raw, 3)
    assert caught.value.status == status
    assert message in caught.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


def check_errors(raws: list[Any]) -> None:
    try:
        parse_batch(raws)
    except BatchInvalid as exc:
        check_report(exc, raws)


def check_report(exc: BatchInvalid, raws: list[Any]) -> None:
    """Every error names an event of the batch (index, its id when it has one) and a field."""
    assert exc.errors
    assert 0 < exc.total_bad <= len(raws)
    for error in exc.errors:
        assert 0 <= error.index < len(raws)
        assert error.field
        assert error.message
        raw = raws[error.index]
        expected_id = raw.get("id") if isinstance(raw, dict) else None
        assert error.id == (expected_id if isinstance(expected_id, str) else None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, max_size=5))
def test_random_json_never_crashes_the_parser(raws: list[Any]) -> None:
    check_errors(raws)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(EVENT_TYPES),
    st.dictionaries(
        st.sampled_from(
            ["id", "ts", "use_case", "type", "model", "input", "rating", "value", "name",
             "triggered", "kind", "version", "output_id", "scores", "labels", "rollback", "zzz"]
        ),
        json_values,
        max_size=3,
    ),
)  # fmt: skip
def test_mutated_events_are_accepted_or_named(kind: str, changes: dict[str, Any]) -> None:
    check_errors([valid(kind), valid(kind, **changes)])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_random_bodies_never_crash_the_body_parser(raw: bytes) -> None:
    with contextlib.suppress(BodyError, BatchInvalid):
        parse_body(raw, 10)


def test_deeply_nested_attributes_are_refused_not_crashed_on() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(BatchInvalid) as caught:
        parse_batch([valid("output", attributes={"deep": deep})])
    assert caught.value.errors[0].field.startswith("attributes")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T10:00:00Z", datetime(2026, 11, 27, 10, tzinfo=UTC)),
        ("2026-11-27T10:00:00.157Z", datetime(2026, 11, 27, 10, 0, 0, 157000, tzinfo=UTC)),
        ("2026-11-27T10:00:00.123456Z", datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-27T10:00:00.1234567Z", datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-27t10:00:00.5z", datetime(2026, 11, 27, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-27T12:00:00+02:00", datetime(2026, 11, 27, 10, tzinfo=UTC)),
    ],
)
def test_timestamps_in_every_rfc3339_shape_become_utc(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text", ["2026-02-30T10:00:00Z", "2026-11-27T10:00:00", "2026-11-27T10:00:00+24:00"]
)
def test_the_common_shape_is_refused_like_the_rest(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|not a valid date|out of range"):
        parse_rfc3339(text)


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"a": "x", "b": "y\ud800"}, "lone surrogate"),  # text only
        ({"\udfff": 1, "b": True, "c": None}, "lone surrogate"),  # a key, flat mixed values
        ({"a": 1, "b": "caf\udc00"}, "lone surrogate"),  # text among numbers
        ({"a": "x", "b": float("inf")}, "not a JSON number"),  # a float leaves the flat path
        ({"a": 1, "b": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}, "nested more than 16"),
    ],
)
def test_attributes_are_checked_whatever_mix_of_value_types(
    attributes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(BatchInvalid) as caught:
        parse_batch([valid("output", attributes=attributes)])
    (error,) = caught.value.errors
    assert error.field.startswith("attributes")
    assert problem in error.message


def test_flat_attributes_of_every_scalar_type_are_kept_as_sent() -> None:
    attributes = {"text": "café", "count": 3, "flag": False, "none": None, "ratio": 0.5}
    (event,) = parse_batch([valid("output", attributes=attributes)])
    assert event.attributes == attributes  # type: ignore[union-attr]


# Every kind of text an event holds: a field of each constrained type, a key and a value of a
# mapping, an item of a list, a flat and a nested attribute, and the change log's free texts.
_NUL_PLACES: list[tuple[str, dict[str, Any], str]] = [
    ("output", {"id": "o\x00"}, "id"),
    ("output", {"use_case": "chat\x00"}, "use_case"),
    ("output", {"user_id": "a\x00b"}, "user_id"),
    ("output", {"output": "an answer\x00"}, "output"),
    ("output", {"context": ["ok", "\x00"]}, "context"),
    ("output", {"scores": {"safety\x00": 0.5}}, "scores"),
    ("output", {"attributes": {"k": "v\x00"}}, "attributes"),
    ("output", {"attributes": {"k\x00": 1}}, "attributes"),
    ("output", {"attributes": {"k": [{"j": "\x00"}], "f": 0.5}}, "attributes"),
    ("metric", {"labels": {"host": "a\x00"}}, "labels"),
    ("ticket", {"text": "help\x00"}, "text"),
    ("change", {"description": "deploy\x00"}, "description"),
    ("change", {"rollback": {"webhook": "https://hooks.example/\x00"}}, "rollback"),
]


@pytest.mark.parametrize(("kind", "fields", "field"), _NUL_PLACES)
def test_a_text_holding_a_nul_is_refused_wherever_it_is(
    kind: str, fields: dict[str, Any], field: str
) -> None:
    """PostgreSQL stores no NUL in text or jsonb: a batch holding one failed whole there (500,
    and again on every retry) while SQLite stored it. Refused here, the event is named with its
    field on every backend, and OTLP refuses only its span."""
    with pytest.raises(BatchInvalid) as caught:
        parse_batch([valid(kind, **fields)])
    errors = caught.value.errors  # `context` is text or a list: pydantic names both branches
    assert all(error.field.startswith(field) for error in errors)
    assert any("NUL" in error.message for error in errors)

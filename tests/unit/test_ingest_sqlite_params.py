"""The one-pass SQLite parameters of validated events (`writer.sqlite_params`) are exactly what
the two-step path gives: `load_row` then the store's `_sqlite_params`, and `counted_fields`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.events_data import VALID, minimal, valid
from tripwire.domain.events import EVENT_TYPES, Event
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import counted_fields, load_row, sqlite_params
from tripwire.store import events as events_store

RECEIVED = events_store.sqlite_time(datetime(2026, 11, 21, 8, 30, 0, 250, tzinfo=UTC))


def two_steps(events: list[Event], parts: int) -> tuple[list[Any], list[Any]]:
    rows = [load_row(e) for e in events]
    params = events_store._sqlite_params(rows, RECEIVED, parts)
    return params, [counted_fields(e) for e in events]


@pytest.mark.parametrize("parts", [1, 64])
def test_every_type_full_and_minimal_gives_the_two_step_parameters(parts: int) -> None:
    raws = [valid(kind, id=f"{kind}-full") for kind in EVENT_TYPES]
    raws += [{**minimal(kind), "id": f"{kind}-min"} for kind in EVENT_TYPES]
    events = parse_batch(raws)
    assert sqlite_params(events, RECEIVED, parts) == two_steps(events, parts)


def test_the_parameters_hold_the_stored_forms() -> None:
    (event,) = parse_batch([valid("metric")])  # ts 10:00:00.123456789+02:00
    (params,), (fields,) = sqlite_params([event], RECEIVED, 1)
    assert params[2] == "2026-11-20 08:00:00.123456"  # naive UTC text, microseconds
    assert params[5] == RECEIVED
    assert params[6] == "ingest"
    assert params[7] == event.__pydantic_serializer__.to_json(event, exclude_none=True).decode()
    assert fields is None


# Any text validation lets through: a NUL is refused (`domain.events.NO_NUL`).
_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=12
)
_OFFSET = st.sampled_from(["Z", "+00:00", "+05:30", "-08:00", "+14:00", "-23:59"])
_FRACTION = st.sampled_from(["", ".1", ".123", ".123456", ".123456789"])


@st.composite
def outputs(draw: st.DrawFn) -> dict[str, Any]:
    stamp = draw(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1)))
    raw = minimal("output")
    raw["ts"] = stamp.strftime("%Y-%m-%dT%H:%M:%S") + draw(_FRACTION) + draw(_OFFSET)
    raw["use_case"] = draw(_TEXT)
    for name in ("user_id", "model_version", "prompt_version"):
        if draw(st.booleans()):
            raw[name] = draw(st.one_of(st.none(), _TEXT))
    if draw(st.booleans()):
        raw["scores"] = VALID["output"]["scores"]
    return raw


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(outputs(), st.sampled_from(EVENT_TYPES).map(valid)), max_size=8))
def test_any_batch_gives_the_two_step_parameters(raws: list[dict[str, Any]]) -> None:
    raws = [{**raw, "id": f"e{i}"} for i, raw in enumerate(raws)]
    events = parse_batch(raws)
    assert sqlite_params(events, RECEIVED, 64) == two_steps(events, 64)


def test_a_naive_time_is_read_as_utc_as_the_orm_column_reads_it(monkeypatch: Any) -> None:
    """`UTCDateTime` takes a naive time to be UTC (`as_utc`); the raw path's text must agree,
    whatever the process' time zone (`astimezone` would read it as local time)."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = datetime(2026, 1, 1, 12, 0, 0, 7)
        assert events_store.sqlite_time(naive) == "2026-01-01 12:00:00.000007"
    finally:
        monkeypatch.undo()
        time.tzset()

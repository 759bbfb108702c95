"""Pure parts of the SDK: event building, ids, timestamps, backoff and Retry-After."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from tripwire.sdk import events as ev
from tripwire.sdk._util import format_ts, now_rfc3339, uuid7
from tripwire.sdk.encode import encode_event
from tripwire.sdk.queue import EventQueue
from tripwire.sdk.retry import Backoff, is_retryable, parse_retry_after


def test_ids_are_uuid7_and_sort_by_time() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]", first)
    assert first < second


def test_timestamps_are_rfc3339_utc() -> None:
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", now_rfc3339())
    paris = timezone(timedelta(hours=1))
    assert format_ts(datetime(2026, 11, 20, 10, 0, tzinfo=paris)) == "2026-11-20T09:00:00Z"
    assert format_ts(datetime(2026, 11, 20, 9, 0)) == "2026-11-20T09:00:00Z"


@pytest.mark.parametrize(
    ("rating", "ok"),
    [
        ("up", True),
        ("down", True),
        ("not_helpful", True),
        (1, True),
        (5, True),
        (0, False),
        (6, False),
        (True, False),
        ("meh", False),
        (4.0, False),
        (None, False),
    ],
)
def test_it_checks_ratings(rating: object, ok: bool) -> None:
    if ok:
        assert ev.rating(rating) == rating
    else:
        with pytest.raises(ev.Refused, match="rating"):
            ev.rating(rating)


def test_refusals_name_the_field() -> None:
    with pytest.raises(ev.Refused, match="use_case"):
        ev.common("output", "", None, None)
    with pytest.raises(ev.Refused, match=r"scores\.q"):
        ev.scores({"q": 1.5})
    with pytest.raises(ev.Refused, match="ts"):
        ev.common("metric", "chat", None, "2026-11-20 09:00")
    with pytest.raises(ev.Refused, match="labels"):
        ev.labels({"a": 1})
    assert "use_case" not in ev.common("change", None, None, None)


def test_encoding_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(ev.Refused, match="Unicode"):
        encode_event({"x": "\ud800"})
    with pytest.raises(ev.Refused, match="JSON"):
        encode_event({"x": float("nan")})
    with pytest.raises(ev.Refused, match="object"):
        encode_event({"x": object()})
    assert encode_event({"x": "é"}) == '{"x":"é"}'.encode()


def test_backoff_is_full_jitter_capped_and_respects_retry_after() -> None:
    backoff = Backoff(base=1.0, cap=8.0)
    for attempt in range(10):
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert min(delays) >= 0
        assert max(delays) <= min(8.0, 2**attempt)
    assert max(backoff.delay(5) for _ in range(200)) > 4  # spreads over the whole range
    assert backoff.delay(0, retry_after=3.0) >= 3.0
    assert backoff.delay(0, retry_after=10_000) <= backoff.max_retry_after + 1


def test_it_reads_retry_after_as_seconds_or_a_date() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    parsed = parse_retry_after(later)
    assert parsed is not None
    assert 25 < parsed <= 30


def test_it_retries_only_what_retrying_can_fix() -> None:
    assert all(is_retryable(s) for s in (429, 500, 502, 503, 504, 599))
    assert not any(is_retryable(s) for s in (400, 401, 403, 404, 413, 422))


def test_the_queue_is_bounded_in_events_and_bytes() -> None:
    queue = EventQueue(max_events=3, max_bytes=100)
    assert queue.put("a", b"x" * 40) == 1
    assert queue.put("b", b"x" * 40) == 2
    assert queue.put("c", b"x" * 40) is None  # bytes
    assert queue.put("d", b"x") == 3
    assert queue.put("e", b"x") is None  # count
    assert [i.id for i in queue.take(10, 50)] == ["a"]  # one batch within 50 bytes
    assert [i.id for i in queue.take(10, 1000)] == ["b", "d"]


def test_import_tripwire_stays_cheap_until_the_client_is_used() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, tripwire\n"
        "assert 'httpx' not in sys.modules and 'tripwire.sdk' not in sys.modules\n"
        "tripwire.Client\n"
        "assert 'tripwire.sdk' in sys.modules and 'fastapi' not in sys.modules\n"
        "assert 'sqlalchemy' not in sys.modules\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": src}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

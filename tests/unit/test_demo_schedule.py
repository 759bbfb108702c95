"""The demo tells the same story whatever the day and hour it runs at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tripwire.demo.tour import demo_end, scenario
from tripwire.sim import simulate


def _shape(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Each event's type, use case and time of day: what detection sees, minus the date."""
    return [(e["type"], e.get("use_case") or "", e["ts"][11:19]) for e in events]


def test_the_tour_ends_at_the_last_midnight_after_three_weekdays() -> None:
    friday = datetime(2026, 12, 4, 17, 42, 9, 5, tzinfo=UTC)
    assert demo_end(friday) == datetime(2026, 12, 4, tzinfo=UTC)
    for tuesday_to_saturday in range(8, 13):
        now = datetime(2026, 12, tuesday_to_saturday, 6, 59, tzinfo=UTC)
        end = demo_end(now)
        assert end <= now
        assert [(end - timedelta(days=d)).weekday() for d in (3, 2, 1)] in (
            [0, 1, 2],
            [1, 2, 3],
            [2, 3, 4],
        ), "Monday to Friday only: detectors learn weekends apart"


def test_a_tuesday_morning_and_a_friday_evening_simulate_the_same_traffic() -> None:
    tuesday = simulate(scenario(demo_end(datetime(2026, 12, 8, 6, 59, tzinfo=UTC)), seed=1))
    friday = simulate(scenario(demo_end(datetime(2026, 12, 11, 21, 3, tzinfo=UTC)), seed=1))
    assert tuesday.events[0]["ts"][:10] != friday.events[0]["ts"][:10]
    assert len(tuesday.events) == len(friday.events)
    assert _shape(tuesday.events) == _shape(friday.events)
    assert [t.signal for t in tuesday.truth] == [t.signal for t in friday.truth]

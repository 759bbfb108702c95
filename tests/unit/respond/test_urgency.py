"""Urgency as a pure function of severity and the hour: working hours in a local zone across
weekends and daylight-saving changes, and the next digest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tripwire.config.respond import RespondConfig, UrgencyConfig
from tripwire.respond.urgency import decide, next_digest

BERLIN = UrgencyConfig.model_validate(
    {"working_hours": {"time_zone": "Europe/Berlin", "start": "09:00", "end": "17:00"}}
)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_defaults_page_p0_p1_hold_p2_and_digest_p3() -> None:
    config, night = UrgencyConfig(), utc(2026, 11, 20, 2, 0)
    assert [decide(config, s, night).mode for s in ("P0", "P1", "P2", "P3")] == [
        "now",
        "now",
        "later",
        "digest",
    ]
    assert decide(config, "P2", utc(2026, 11, 20, 9, 0)).mode == "now"
    assert decide(config, "P2", utc(2026, 11, 20, 18, 0)).mode == "later", "end is exclusive"


def test_a_friday_evening_p2_waits_for_monday_morning_local_time() -> None:
    friday_evening = utc(2026, 11, 20, 17, 30)  # 18:30 in Berlin
    decision = decide(BERLIN, "P2", friday_evening)
    assert decision.mode == "later"
    assert decision.at == utc(2026, 11, 23, 8, 0)  # Monday 09:00 CET


def test_working_hours_follow_daylight_saving_time() -> None:
    # Sunday 29 March 2026 Berlin moves to CEST: Monday 09:00 local is 07:00 UTC.
    assert decide(BERLIN, "P2", utc(2026, 3, 28, 12, 0)).at == utc(2026, 3, 30, 7, 0)
    assert decide(BERLIN, "P2", utc(2026, 3, 30, 7, 30)).mode == "now"


def test_the_digest_is_the_next_daily_hour_strictly_after_now() -> None:
    config = UrgencyConfig.model_validate({"digest": {"at": "09:00"}})
    assert next_digest(config, utc(2026, 11, 20, 2, 0)) == utc(2026, 11, 20, 9, 0)
    assert next_digest(config, utc(2026, 11, 20, 9, 0)) == utc(2026, 11, 21, 9, 0)
    assert decide(config, "P3", utc(2026, 11, 21, 23, 0)).at == utc(2026, 11, 22, 9, 0)


def test_overriding_one_severity_keeps_the_others() -> None:
    config = UrgencyConfig.model_validate({"severities": {"P3": {"urgency": "none"}}})
    assert config.route("P3").urgency == "none"
    assert config.route("P0").urgency == "page"


@pytest.mark.parametrize(
    ("respond", "problem"),
    [
        ({"stakeholders": {"legal": {"members": ["nobody"]}}}, "stakeholders.legal: no person"),
        ({"stakeholders": {"legal": {"channels": ["nope"]}}}, "no channel 'nope'"),
        (
            {"urgency": {"severities": {"P0": {"urgency": "page", "also_page": ["person:x"]}}}},
            "also_page",
        ),
        ({"urgency": {"working_hours": {"time_zone": "Mars/Olympus"}}}, "unknown time zone"),
        ({"urgency": {"working_hours": {"start": "18:00", "end": "09:00"}}}, "after start"),
        ({"stakeholders": {"Legal Team": {}}}, "pattern"),
    ],
)
def test_config_names_what_is_wrong(respond: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        RespondConfig.model_validate(respond)

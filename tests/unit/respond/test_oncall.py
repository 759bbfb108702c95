"""On-call schedules: rotations across a handoff (in a time zone with DST) and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tripwire.config.respond import Override, Rotation, ScheduleConfig
from tripwire.respond.oncall import Cover, all_covers, on_call, upcoming

BERLIN = ScheduleConfig(
    time_zone="Europe/Berlin",
    rotations=[
        Rotation(
            members=["ana", "ben", "cy"],
            every="weekly",
            start=date(2026, 10, 19),
            handoff_time=time(9, 0),
        )
    ],
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_weekly_shift_hands_off_at_local_nine() -> None:
    # 2026-11-23 is a Monday; Berlin is UTC+1 in November, so the handoff is 08:00 UTC.
    # Weeks from 19 October: ana, ben, cy, ana, ben, then cy from 23 November.
    assert on_call(BERLIN, [], utc(2026, 11, 23, 7, 59)).person == "ben"  # type: ignore[union-attr]
    shift = on_call(BERLIN, [], utc(2026, 11, 23, 8, 0))
    assert shift is not None
    assert (shift.person, shift.start, shift.end) == (
        "cy",
        utc(2026, 11, 23, 8),
        utc(2026, 11, 30, 8),
    )


def test_the_handoff_follows_local_time_across_daylight_saving() -> None:
    # Summer time ends 2026-10-25: the 26 October handoff is at 08:00 UTC, the 19th at 07:00.
    assert on_call(BERLIN, [], utc(2026, 10, 19, 7, 0)).person == "ana"  # type: ignore[union-attr]
    assert on_call(BERLIN, [], utc(2026, 10, 26, 7, 30)).person == "ana"  # type: ignore[union-attr]
    assert on_call(BERLIN, [], utc(2026, 10, 26, 8, 0)).person == "ben"  # type: ignore[union-attr]


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    assert on_call(BERLIN, [], utc(2026, 10, 1)) is None


def test_an_override_takes_the_shift_and_gives_it_back() -> None:
    schedule = BERLIN.model_copy(
        update={
            "overrides": [
                Override(person="dee", start="2026-11-24T12:00:00Z", end="2026-11-24T18:00:00Z")
            ]
        }
    )
    covers = all_covers(schedule, [])
    assert on_call(schedule, covers, utc(2026, 11, 24, 11, 59)).person == "cy"  # type: ignore[union-attr]
    during = on_call(schedule, covers, utc(2026, 11, 24, 12, 0))
    assert during is not None
    assert (during.person, during.source) == ("dee", "override")
    assert on_call(schedule, covers, utc(2026, 11, 24, 18, 0)).person == "cy"  # type: ignore[union-attr]


def test_a_later_override_wins_over_an_earlier_one() -> None:
    covers = [
        Cover("dee", utc(2026, 11, 24), utc(2026, 11, 25)),
        Cover("eve", utc(2026, 11, 24, 6), utc(2026, 11, 24, 7)),
    ]
    assert on_call(BERLIN, covers, utc(2026, 11, 24, 6, 30)).person == "eve"  # type: ignore[union-attr]


def test_upcoming_lists_each_shift_cut_at_overrides() -> None:
    covers = [Cover("dee", utc(2026, 11, 24, 12), utc(2026, 11, 24, 18))]
    shifts = upcoming(BERLIN, covers, utc(2026, 11, 23), utc(2026, 11, 25))
    assert [(s.person, s.start, s.end) for s in shifts] == [
        ("ben", utc(2026, 11, 23), utc(2026, 11, 23, 8)),
        ("cy", utc(2026, 11, 23, 8), utc(2026, 11, 24, 12)),
        ("dee", utc(2026, 11, 24, 12), utc(2026, 11, 24, 18)),
        ("cy", utc(2026, 11, 24, 18), utc(2026, 11, 25)),
    ]

"""Who is on call: rotations with daily or weekly handoffs at local wall-clock time, and
overrides on top. Pure functions of the configuration, the overrides and the instant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tripwire.config.respond import Rotation, ScheduleConfig
from tripwire.domain.clock import as_utc


@dataclass(frozen=True, slots=True)
class Shift:
    """`person` is on call from `start` to `end` (None: open-ended); `source` says why."""

    person: str
    start: datetime
    end: datetime | None
    source: str  # "rotation" | "override"


@dataclass(frozen=True, slots=True)
class Cover:
    person: str
    start: datetime
    end: datetime


def _shift_index(rotation: Rotation, local: datetime) -> int:
    """How many handoffs have happened since the rotation began (negative before it)."""
    days = (local.date() - rotation.start).days
    if local.time() < rotation.handoff_time:
        days -= 1
    length = 1 if rotation.every == "daily" else 7
    return days // length


def _handoff_at(rotation: Rotation, index: int, zone: ZoneInfo) -> datetime:
    length = 1 if rotation.every == "daily" else 7
    day = rotation.start + timedelta(days=index * length)
    # Wall-clock handoff: across a DST change the shift is an hour shorter or longer.
    return datetime.combine(day, rotation.handoff_time, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def rotation_shift(rotation: Rotation, zone: ZoneInfo, at: datetime) -> Shift | None:
    local = as_utc(at).astimezone(zone)
    index = _shift_index(rotation, local)
    if index < 0:
        return None
    person = rotation.members[index % len(rotation.members)]
    return Shift(
        person,
        _handoff_at(rotation, index, zone),
        _handoff_at(rotation, index + 1, zone),
        "rotation",
    )


def on_call(schedule: ScheduleConfig, covers: Sequence[Cover], at: datetime) -> Shift | None:
    """The person on call at `at`: the latest override covering it, else the last rotation
    (layer) that has begun. None when nobody is scheduled."""
    at = as_utc(at)
    live = [c for c in covers if as_utc(c.start) <= at < as_utc(c.end)]
    if live:
        cover = live[-1]
        return Shift(cover.person, as_utc(cover.start), as_utc(cover.end), "override")
    zone = ZoneInfo(schedule.time_zone)
    for rotation in reversed(schedule.rotations):
        shift = rotation_shift(rotation, zone, at)
        if shift is not None:
            return shift
    return None


def all_covers(schedule: ScheduleConfig, stored: Sequence[Cover]) -> list[Cover]:
    """Overrides from the config file first, then those added at run time (which win)."""
    return [Cover(o.person, o.start, o.end) for o in schedule.overrides] + list(stored)


def upcoming(
    schedule: ScheduleConfig, covers: Sequence[Cover], start: datetime, end: datetime
) -> list[Shift]:
    """The shifts between `start` and `end`, cut at every handoff and override boundary."""
    points = {as_utc(start)}
    cursor = as_utc(start)
    while cursor < end:
        shift = on_call(schedule, covers, cursor)
        nxt = shift.end if shift is not None and shift.end is not None else end
        boundaries = [as_utc(c.start) for c in covers if cursor < as_utc(c.start) < nxt]
        cursor = min([nxt, end, *boundaries])
        points.add(cursor)
    shifts: list[Shift] = []
    ordered = sorted(p for p in points if p < end)
    for i, point in enumerate(ordered):
        shift = on_call(schedule, covers, point)
        stop = ordered[i + 1] if i + 1 < len(ordered) else as_utc(end)
        if shift is not None:
            shifts.append(Shift(shift.person, point, stop, shift.source))
    return shifts

"""Urgency as a pure function of the severity and the hour: page now, hold until the next
working-hours start, list in the next digest, or tell nobody (`respond.urgency`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from tripwire.config.respond import WEEKDAYS, DigestConfig, UrgencyConfig, WorkingHours

Mode = Literal["now", "later", "digest", "none"]
# How loud each mode is: a raised severity pages again only when it gets louder.
LOUDNESS: dict[Mode, int] = {"none": 0, "digest": 1, "later": 2, "now": 3}


@dataclass(frozen=True, slots=True)
class Decision:
    """`at`: when a `later` page goes out, or when the digest listing a `digest` one is sent."""

    mode: Mode
    at: datetime | None = None


def decide(config: UrgencyConfig, severity: str, now: datetime) -> Decision:
    urgency = config.route(severity).urgency
    if urgency == "page":
        return Decision("now")
    if urgency == "working_hours":
        if in_working_hours(config.working_hours, now):
            return Decision("now")
        return Decision("later", next_working_start(config.working_hours, now))
    if urgency == "digest":
        return Decision("digest", next_digest(config, now))
    return Decision("none")


def in_working_hours(hours: WorkingHours, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(hours.time_zone))
    day = WEEKDAYS[local.weekday()]
    return day in hours.days and hours.start <= local.time().replace(tzinfo=None) < hours.end


def next_working_start(hours: WorkingHours, now: datetime) -> datetime:
    """The first working-hours start after `now` (local days, so DST shifts are respected)."""
    zone = ZoneInfo(hours.time_zone)
    local = now.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        start = datetime.combine(day, hours.start, zone)
        if WEEKDAYS[day.weekday()] in hours.days and start > now:
            return start.astimezone(UTC)
    raise AssertionError("working_hours.days is never empty")  # pragma: no cover


def next_digest(config: UrgencyConfig, now: datetime) -> datetime:
    """The next daily digest strictly after `now`."""
    digest: DigestConfig = config.digest
    zone = ZoneInfo(digest.time_zone or config.working_hours.time_zone)
    local = now.astimezone(zone)
    for offset in range(3):
        at = datetime.combine(local.date() + timedelta(days=offset), digest.at, zone)
        if at > now:
            return at.astimezone(UTC)
    raise AssertionError("a day always has the digest hour")  # pragma: no cover

"""Injected time. Nothing in Tripwire asks the operating system for "now" except SystemClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Returns the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, used by `tripwire serve`."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: tests, the simulator and `replay` (event time)."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Move to `when`; event time never runs backwards, so earlier values are ignored."""
        when = as_utc(when)
        if when > self._now:
            self._now = when

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def as_utc(when: datetime) -> datetime:
    """Naive datetimes are taken to be UTC; aware ones are converted."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def isoformat_z(when: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the form every Tripwire output uses."""
    return as_utc(when).isoformat().replace("+00:00", "Z")

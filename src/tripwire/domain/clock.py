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


# Instants a person or a product may name (query parameters, overrides, event times). Python's
# datetime ends at year 9999, and a day's or an hour's arithmetic near either end overflows:
# anything outside this window is refused where it comes in, never computed with.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def sane_instant(when: datetime) -> datetime:
    """`when`, or ValueError when it lies outside [1970, 2200)."""
    if not EARLIEST <= as_utc(when) < LATEST:
        raise ValueError("must be between 1970-01-01T00:00:00Z and 2200-01-01T00:00:00Z")
    return when

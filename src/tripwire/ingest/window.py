"""How far from now an event's time may be: a bound set at ingest, so that no stage ever
computes with a time near the ends of the calendar (an `output` stamped in the last hour of
year 9999 once overflowed the hourly sampler and stopped the pipeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tripwire.domain.clock import EARLIEST, LATEST, isoformat_z
from tripwire.domain.events import Event
from tripwire.ingest.validate import MAX_ERRORS_REPORTED, BatchInvalid, EventError


@dataclass(frozen=True, slots=True)
class EventWindow:
    """Events may be at most `max_age` old and `max_future` ahead of the receiving clock
    (`TRIPWIRE_EVENT_MAX_AGE`, `TRIPWIRE_EVENT_MAX_FUTURE`)."""

    max_age: timedelta
    max_future: timedelta

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """The earliest and latest accepted `ts` at `now` (never past the calendar's ends)."""
        try:
            earliest = max(now - self.max_age, EARLIEST)
        except OverflowError:
            earliest = EARLIEST
        try:
            latest = min(now + self.max_future, LATEST)
        except OverflowError:
            latest = LATEST
        return earliest, latest

    def problem(self, ts: datetime, now: datetime) -> str | None:
        """Why `ts` is refused at `now`, or None when it is inside the window."""
        earliest, latest = self.bounds(now)
        if ts > latest:
            return (
                f"{isoformat_z(ts)} is in the future (later than {isoformat_z(latest)}); "
                "check the sender's clock and time zone"
            )
        if ts < earliest:
            return (
                f"{isoformat_z(ts)} is older than accepted (before {isoformat_z(earliest)}); "
                "use `tripwire replay` for history, or raise TRIPWIRE_EVENT_MAX_AGE"
            )
        return None


def check_window(events: Sequence[Event], window: EventWindow, now: datetime) -> None:
    """Raise BatchInvalid naming every event whose `ts` is outside the window."""
    earliest, latest = window.bounds(now)  # once per batch: every event of it passes here
    if all(earliest <= event.ts <= latest for event in events):
        return
    errors: list[EventError] = []
    bad = 0
    for index, event in enumerate(events):
        problem = window.problem(event.ts, now)
        if problem is not None:
            bad += 1
            if len(errors) < MAX_ERRORS_REPORTED:
                errors.append(EventError(index, event.id, "ts", problem))
    if bad:
        raise BatchInvalid(errors, bad)

"""Small helpers the SDK keeps for itself (it may not import the server's domain package)."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime

logger = logging.getLogger("tripwire.sdk")


def uuid7() -> str:
    """A UUIDv7 string (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 64 & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, swapped atomically


def now_rfc3339() -> str:
    """The wall clock as RFC 3339 in UTC with milliseconds and a `Z`."""
    global _second
    ns = time.time_ns()
    second = ns // 1_000_000_000
    cached, text = _second
    if cached != second:  # strftime once a second, not once an event
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second = (second, text)
    return f"{text}.{ns // 1_000_000 % 1000:03d}Z"


def format_ts(when: datetime) -> str:
    """An aware datetime in RFC 3339 UTC; naive datetimes are taken to be UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RateLimitedLog:
    """Logs one message per `key` at most every `every` seconds, so a flood of dropped events
    cannot flood the product's logs too; the suppressed count is reported with the next line."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._every:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            self._last[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += f" ({suppressed} similar message(s) suppressed)"
        logger.warning(message, *args)

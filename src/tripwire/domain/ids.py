"""Identifiers that sort by creation time (UUIDv7, RFC 9562)."""

from __future__ import annotations

import os
import time
import uuid


def uuid7(unix_ms: int | None = None) -> str:
    """A UUIDv7 string: 48 bits of milliseconds, then random bits."""
    ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 64 & 0x0FFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))

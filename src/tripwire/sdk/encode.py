"""Encode one event to JSON bytes when it is logged: the size is then known for the queue bound
and the batch limit, and later changes to the caller's dicts cannot alter what is sent."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tripwire.sdk._util import format_ts
from tripwire.sdk.events import Refused

_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    separators=(",", ":"),
    default=lambda value: _default(value),
)


def encode_event(event: dict[str, Any]) -> bytes:
    """UTF-8 JSON of `event`; Refused when it holds what JSON cannot carry."""
    try:
        return _ENCODER.encode(event).encode("utf-8")
    except UnicodeEncodeError:
        raise Refused("a string holds invalid Unicode (a lone surrogate)") from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise Refused(f"not representable as JSON: {exc}") from None


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a {type(value).__name__} in attributes cannot be sent as JSON")

"""Build the seven event types (docs/events.md) as JSON-ready dicts, checking cheaply what the
server would refuse, so one bad call cannot make the server refuse a whole batch.

Every builder raises `Refused` naming the field; the client catches it, counts the event as
dropped and logs why. The limits mirror the server's (docs/events.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tripwire.sdk._util import format_ts, now_rfc3339, uuid7

MAX_ID = 128
MAX_NAME = 256
MAX_TEXT = 200_000
MAX_CONTEXT_ITEMS = 100
MAX_OBJECT_KEYS = 64

STATUSES = ("ok", "error", "timeout")
RATINGS = ("up", "down", "not_helpful")
CHANGE_KINDS = ("model_update", "prompt_change", "data_change", "infra_change", "config_change")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


class Refused(ValueError):
    """The event cannot be sent as given; the message names the field and what to fix."""


def common(kind: str, use_case: object, event_id: object, ts: object) -> dict[str, Any]:
    """The fields every event carries; `use_case` may be None only for `change`."""
    event: dict[str, Any] = {"id": ident("id", event_id) if event_id is not None else uuid7()}
    event["type"] = kind
    event["ts"] = _ts(ts)
    if use_case is not None or kind != "change":
        event["use_case"] = name("use_case", use_case)
    return event


def put(event: dict[str, Any], key: str, value: object) -> None:
    """Set an optional field, leaving it out when None (the server reads absent as unset)."""
    if value is not None:
        event[key] = value


def name(field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Refused(f"{field} must be a non-empty string, got {_show(value)}")
    if len(value) > MAX_NAME:
        raise Refused(f"{field} is {len(value)} characters long; at most {MAX_NAME}")
    return value


def opt_name(field: str, value: object) -> str | None:
    return None if value is None else name(field, value)


def text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise Refused(f"{field} must be a string, got {_show(value)}")
    if len(value) > MAX_TEXT:
        raise Refused(f"{field} is {len(value)} characters long; at most {MAX_TEXT}")
    return value


def opt_text(field: str, value: object) -> str | None:
    return None if value is None else text(field, value)


def opt_id(field: str, value: object) -> str | None:
    return None if value is None else ident(field, value)


def number(
    field: str, value: object, *, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(f"{field} must be a number, got {_show(value)}")
    if not math.isfinite(value):
        raise Refused(f"{field} must be a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise Refused(f"{field} must be in [{low}, {high}], got {value!r}")
    return value


def opt_count(field: str, value: object) -> int | None:
    """A whole number >= 0 (token counts), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
        raise Refused(f"{field} must be a whole number >= 0, got {_show(value)}")
    return value


def boolean(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise Refused(f"{field} must be true or false, got {_show(value)}")
    return value


def choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed or not isinstance(value, str):
        raise Refused(f"{field} must be one of {', '.join(allowed)}, got {_show(value)}")
    return value


def rating(value: object) -> str | int:
    if isinstance(value, str) and value in RATINGS:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    raise Refused(f"rating must be up, down, not_helpful or 1..5 stars, got {_show(value)}")


def context(value: object) -> str | list[str] | None:
    if value is None or isinstance(value, str):
        return opt_text("context", value)
    if not isinstance(value, list | tuple):
        raise Refused(f"context must be a string or a list of strings, got {_show(value)}")
    if len(value) > MAX_CONTEXT_ITEMS:
        raise Refused(f"context has {len(value)} items; at most {MAX_CONTEXT_ITEMS}")
    return [text(f"context[{i}]", item) for i, item in enumerate(value)]


def scores(value: object) -> dict[str, float] | None:
    if value is None:
        return None
    pairs = _mapping("scores", value)
    return {name("scores key", k): number(f"scores.{k}", v, low=0.0, high=1.0) for k, v in pairs}


def attributes(field: str, value: object) -> dict[str, Any] | None:
    return None if value is None else dict(_mapping(field, value))


def labels(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    return {name("labels key", k): name(f"labels.{k}", v) for k, v in _mapping("labels", value)}


def rollback(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    pairs = dict(_mapping("rollback", value))
    if set(pairs) == {"flag", "variant"}:
        variant = pairs["variant"]
        flag = name("rollback.flag", pairs["flag"])
        return {
            "flag": flag,
            "variant": variant if isinstance(variant, bool) else name("rollback.variant", variant),
        }
    if set(pairs) == {"webhook"}:
        url = pairs["webhook"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Refused("rollback.webhook must be an http(s) URL")
        return {"webhook": url}
    raise Refused('rollback must be {"flag": KEY, "variant": VALUE} or {"webhook": URL}')


def _mapping(field: str, value: object) -> list[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        raise Refused(f"{field} must be an object (a dict), got {_show(value)}")
    if len(value) > MAX_OBJECT_KEYS:
        raise Refused(f"{field} has {len(value)} keys; at most {MAX_OBJECT_KEYS}")
    pairs = list(value.items())
    for key, _ in pairs:
        if not isinstance(key, str):
            raise Refused(f"{field} keys must be strings, got {_show(key)}")
    return pairs


def ident(field: str, value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise Refused(f"{field} must be a string of 1..{MAX_ID} characters, got {_show(value)}")
    return value


def _ts(value: object) -> str:
    if value is None:
        return now_rfc3339()
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, str) and _RFC3339.match(value):
        return value
    raise Refused(f"ts must be a datetime or an RFC 3339 string with an offset, got {_show(value)}")


def _show(value: object) -> str:
    """A short, safe description of a bad value for a log line (never the whole value)."""
    if isinstance(value, str):
        return repr(value[:40] + ("..." if len(value) > 40 else ""))
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return type(value).__name__

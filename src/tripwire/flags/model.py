"""Flags as values: their JSON shape, the rules a change must follow, and ETags. No I/O."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from tripwire.domain.clock import isoformat_z

FlagType = Literal["boolean", "string"]
FLAG_TYPES: tuple[FlagType, ...] = ("boolean", "string")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")
MAX_VARIANTS = 64
MAX_STRING = 256
MAX_DESCRIPTION = 2000
FlagValue = bool | str


class FlagInvalid(ValueError):
    """A flag or a change to one breaks a rule; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag as stored. `value` is served now; `default` is what a client serves when it
    cannot reach Tripwire; `kill_value` (optional) is what the kill switch sets."""

    key: str
    type: FlagType
    value: FlagValue
    default: FlagValue
    version: int
    updated_at: datetime
    use_case: str | None = None
    description: str | None = None
    variants: tuple[str, ...] | None = None
    kill_value: FlagValue | None = None
    updated_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "value": self.value,
            "default": self.default,
            "version": self.version,
            "updated_at": isoformat_z(self.updated_at),
        }
        optional = {
            "use_case": self.use_case,
            "description": self.description,
            "variants": list(self.variants) if self.variants is not None else None,
            "kill_value": self.kill_value,
            "updated_by": self.updated_by,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        data["killed"] = self.killed
        return data

    @property
    def killed(self) -> bool:
        """True while the flag serves its kill value."""
        kill = effective_kill_value(self)
        return kill is not None and self.value == kill

    def content(self) -> tuple[Any, ...]:
        """What a change compares: everything but version and bookkeeping."""
        return (
            self.type,
            self.value,
            self.default,
            self.use_case,
            self.description,
            self.variants,
            self.kill_value,
        )


def effective_kill_value(flag: Flag) -> FlagValue | None:
    """The declared kill value; a boolean flag without one is switched off (`false`)."""
    if flag.kill_value is not None:
        return flag.kill_value
    return False if flag.type == "boolean" else None


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise FlagInvalid(
            f"flag key {key[:80]!r} is not valid: use 1-128 letters, digits, '.', '_', ':' or '-',"
            " starting with a letter or digit"
        )
    return key


def apply_update(
    current: Flag | None, key: str, body: dict[str, Any], now: datetime, actor: str
) -> Flag:
    """The flag after `body` is applied to `current` (None: a new flag).

    Fields absent from `body` keep their stored values; a new flag needs `value`, its `type`
    defaults to the type of `value` and its `default` to `value`. Raises FlagInvalid.
    """
    check_key(key)
    if "key" in body and body["key"] != key:
        raise FlagInvalid(f"body key {str(body['key'])[:80]!r} differs from the path key {key!r}")
    if current is None and "value" not in body:
        raise FlagInvalid(f"flag {key!r} does not exist yet: give at least its `value`")
    value: Any = body.get("value", current.value if current else None)
    ftype = body.get("type", current.type if current else _type_of(value))
    if ftype not in FLAG_TYPES:
        raise FlagInvalid(f"`type` must be one of {', '.join(FLAG_TYPES)}, not {ftype!r}")
    default: Any = body.get("default", current.default if current else value)
    flag = Flag(
        key=key,
        type=ftype,
        value=value,
        default=default,
        version=(current.version + 1) if current else 1,
        updated_at=now,
        use_case=_opt_text(body, "use_case", current.use_case if current else None, MAX_STRING),
        description=_opt_text(
            body, "description", current.description if current else None, MAX_DESCRIPTION
        ),
        variants=_variants(body, current),
        kill_value=body.get("kill_value", current.kill_value if current else None),
        updated_by=actor,
    )
    validate(flag)
    return flag


def validate(flag: Flag) -> None:
    """Every value must match the type; string values must be declared variants if any are."""
    for name in ("value", "default", "kill_value"):
        item = getattr(flag, name)
        if item is None and name == "kill_value":
            continue
        _check_value(flag, name, item)


def _check_value(flag: Flag, name: str, item: Any) -> None:
    if flag.type == "boolean":
        if not isinstance(item, bool):
            raise FlagInvalid(f"`{name}` of boolean flag {flag.key!r} must be true or false")
        return
    if not isinstance(item, str) or not 0 < len(item) <= MAX_STRING:
        raise FlagInvalid(
            f"`{name}` of string flag {flag.key!r} must be a string of 1-{MAX_STRING} characters"
        )
    if flag.variants is not None and item not in flag.variants:
        raise FlagInvalid(
            f"`{name}` {item[:80]!r} of flag {flag.key!r} is not one of its variants: "
            + ", ".join(flag.variants)
        )


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    raise FlagInvalid("`value` must be true, false or a string")


def _opt_text(body: dict[str, Any], name: str, current: str | None, limit: int) -> str | None:
    if name not in body:
        return current
    item = body[name]
    if item is None:
        return None
    if not isinstance(item, str) or len(item) > limit:
        raise FlagInvalid(f"`{name}` must be a string of at most {limit} characters")
    return item


def _variants(body: dict[str, Any], current: Flag | None) -> tuple[str, ...] | None:
    if "variants" not in body:
        return current.variants if current else None
    items = body["variants"]
    if items is None:
        return None
    if (
        not isinstance(items, list)
        or not 0 < len(items) <= MAX_VARIANTS
        or not all(isinstance(i, str) and 0 < len(i) <= MAX_STRING for i in items)
    ):
        raise FlagInvalid(f"`variants` must be a list of 1-{MAX_VARIANTS} non-empty strings")
    if len(set(items)) != len(items):
        raise FlagInvalid("`variants` must not repeat a value")
    return tuple(items)


def killed_version(flag: Flag, now: datetime, actor: str) -> Flag:
    """The flag switched to its kill value. Raises FlagInvalid when it has none."""
    kill = effective_kill_value(flag)
    if kill is None:
        raise FlagInvalid(
            f"string flag {flag.key!r} has no `kill_value`; declare one (e.g. a safe variant)"
            " or set a variant with `tripwire flags set`"
        )
    return replace(flag, value=kill, version=flag.version + 1, updated_at=now, updated_by=actor)


def etag_of(data: Any) -> str:
    """A strong ETag for a JSON-able body: changes whenever any served byte would."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return '"' + hashlib.sha256(raw.encode("ascii")).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of `If-None-Match` against our ETag (`*` matches anything)."""
    if not if_none_match:
        return False
    for part in if_none_match.split(","):
        tag = part.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False

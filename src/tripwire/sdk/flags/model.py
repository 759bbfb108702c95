"""Flags as the server lists them (`GET /v1/flags`), indexed for a dict-lookup evaluation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tripwire.sdk._util import logger

FlagValue = bool | str
FLAG_TYPES = {"boolean": bool, "string": str}


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag. `served` is what a client serves now: the server's `value` when it has the
    flag's type, else the declared `default`, else None (then the caller's default wins).
    `from_default` says which of the two `served` came from."""

    key: str
    type: str
    value: FlagValue | None
    default: FlagValue | None
    use_case: str | None = None
    description: str | None = None
    variants: tuple[str, ...] | None = None
    version: int | None = None
    updated_at: str | None = None
    served: FlagValue | None = None
    from_default: bool = False

    @classmethod
    def build(cls, **fields: Any) -> Flag:
        value, default = fields.get("value"), fields.get("default")
        served = value if value is not None else default
        return cls(**fields, served=served, from_default=value is None)


def parse_flag(raw: object) -> Flag:
    """A Flag from its JSON; raises ValueError naming what is wrong."""
    if not isinstance(raw, Mapping):
        raise ValueError("a flag must be a JSON object")
    key, kind = raw.get("key"), raw.get("type")
    if not isinstance(key, str) or not key:
        raise ValueError("flag without a string `key`")
    if kind not in FLAG_TYPES:
        raise ValueError(f"flag {key!r}: `type` must be boolean or string")
    wanted = FLAG_TYPES[kind]
    variants = raw.get("variants")
    return Flag.build(
        key=key,
        type=kind,
        value=_typed(raw.get("value"), wanted),
        default=_typed(raw.get("default"), wanted),
        use_case=_str_or_none(raw.get("use_case")),
        description=_str_or_none(raw.get("description")),
        variants=tuple(v for v in variants if isinstance(v, str))
        if isinstance(variants, list)
        else None,
        version=raw["version"] if type(raw.get("version")) is int else None,
        updated_at=_str_or_none(raw.get("updated_at")),
    )


class Snapshot:
    """An immutable set of flags. `by_scope[(key, use_case)]` holds scoped flags, and
    `(key, None)` every key (its global flag when there is one); `globals_` only global flags,
    the fallback for a use case that has no flag of its own."""

    __slots__ = ("by_scope", "flags", "globals_", "raw")

    def __init__(self, flags: Iterable[Flag], raw: list[dict[str, Any]]) -> None:
        self.flags = tuple(flags)
        self.raw = raw
        self.by_scope: dict[tuple[str, str | None], Flag] = {}
        self.globals_: dict[str, Flag] = {}
        for flag in self.flags:
            if flag.use_case is None:
                self.globals_[flag.key] = flag
                self.by_scope[(flag.key, None)] = flag
            else:
                self.by_scope[(flag.key, flag.use_case)] = flag
                self.by_scope.setdefault((flag.key, None), flag)

    def find(self, key: str, use_case: str | None) -> Flag | None:
        flag = self.by_scope.get((key, use_case))
        if flag is None and use_case is not None:
            flag = self.globals_.get(key)
        return flag

    def changed_keys(self, newer: Snapshot) -> list[str]:
        """Keys whose served value, type or scope differ between the two snapshots."""
        mine = {scope: (f.type, f.served) for scope, f in self.by_scope.items()}
        theirs = {scope: (f.type, f.served) for scope, f in newer.by_scope.items()}
        return sorted(
            {key for key, _ in mine.keys() ^ theirs.keys()}
            | {key for (key, uc), v in theirs.items() if (key, uc) in mine and mine[(key, uc)] != v}
        )


EMPTY = Snapshot((), [])


def parse_snapshot(payload: object) -> Snapshot:
    """A Snapshot from `{"flags": [...]}`; malformed flags are skipped and logged, a malformed
    payload raises ValueError (the last good snapshot stays in force)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("flags"), list):
        raise ValueError('the flags answer must be {"flags": [FLAG, ...]}')
    flags: list[Flag] = []
    raw: list[dict[str, Any]] = []
    for item in payload["flags"]:
        try:
            flags.append(parse_flag(item))
        except ValueError as exc:
            logger.warning("tripwire: ignoring a flag: %s", exc)
            continue
        raw.append(dict(item))
    return Snapshot(flags, raw)


def _typed(value: object, wanted: type) -> FlagValue | None:
    return value if type(value) is wanted else None  # type: ignore[return-value]


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None

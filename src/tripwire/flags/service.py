"""Flag operations: read, change with an audit entry, kill, and seed the declared flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.flags import FlagsConfig
from tripwire.flags.model import Flag, FlagInvalid, apply_update, check_key, killed_version
from tripwire.store import flags as store


class FlagNotFound(LookupError):
    """No flag has this key."""


class VersionConflict(FlagInvalid):
    """The change named a version that is no longer the current one."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a flag and through what (`api`, `cli`, `playbook`, `config`)."""

    name: str
    source: str
    reason: str | None = None
    incident_id: str | None = None


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    """The outcome of a change: the flag before (None when created) and after."""

    old: Flag | None
    new: Flag

    @property
    def changed(self) -> bool:
        return self.old is None or self.old.content() != self.new.content()


def to_flag(data: dict[str, Any]) -> Flag:
    variants = data.get("variants")
    return Flag(
        key=data["key"],
        type=data["type"],
        value=data["value"],
        default=data["default"],
        version=data["version"],
        updated_at=data["updated_at"],
        use_case=data.get("use_case"),
        description=data.get("description"),
        variants=tuple(variants) if variants is not None else None,
        kill_value=data.get("kill_value"),
        updated_by=data.get("updated_by"),
    )


def list_flags(session: Session) -> list[Flag]:
    return [to_flag(d) for d in store.load_flags(session)]


def get_flag(session: Session, key: str) -> Flag:
    """Raises FlagNotFound."""
    data = store.load_flag(session, key)
    if data is None:
        raise FlagNotFound(key)
    return to_flag(data)


def find_flag(session: Session, key: str) -> Flag | None:
    data = store.load_flag(session, key)
    return None if data is None else to_flag(data)


def put_flag(
    session: Session, key: str, body: dict[str, Any], actor: Actor, now: datetime
) -> FlagUpdate:
    """Create or change a flag; a change that alters nothing is not recorded. Raises FlagInvalid.

    With `body["version"]` given, the change applies only to that version (else FlagInvalid:
    someone changed the flag in between).
    """
    data = store.load_flag(session, check_key(key), lock=True)
    current = None if data is None else to_flag(data)
    expected = body.get("version")
    if expected is not None and (current is None or current.version != expected):
        have = "does not exist" if current is None else f"is at version {current.version}"
        raise VersionConflict(f"flag {key!r} {have}, not {expected}: reload it and retry")
    updated = apply_update(current, key, body, now, actor.name)
    return _commit(session, FlagUpdate(current, updated), actor)


def kill_flag(session: Session, key: str, actor: Actor, now: datetime) -> FlagUpdate:
    """Switch a flag to its kill value. Raises FlagNotFound or FlagInvalid."""
    data = store.load_flag(session, key, lock=True)
    if data is None:
        raise FlagNotFound(key)
    current = to_flag(data)
    return _commit(session, FlagUpdate(current, killed_version(current, now, actor.name)), actor)


def set_value(
    session: Session, key: str, value: bool | str, actor: Actor, now: datetime
) -> FlagUpdate:
    """Serve `value` from now on (a rollback, a mitigation). Raises FlagNotFound/FlagInvalid."""
    if store.load_flag(session, key) is None:
        raise FlagNotFound(key)
    return put_flag(session, key, {"value": value}, actor, now)


def _commit(session: Session, update: FlagUpdate, actor: Actor) -> FlagUpdate:
    if not update.changed:
        return FlagUpdate(update.old, update.old) if update.old else update
    new = update.new
    store.save_flag(
        session,
        _row_data(new),
        store.FlagChange(
            key=new.key,
            version=new.version,
            at=new.updated_at,
            actor=actor.name,
            reason=actor.reason,
            source=actor.source,
            incident_id=actor.incident_id,
            old=update.old.as_json() if update.old else None,
            new=new.as_json(),
        ),
    )
    return update


def _row_data(flag: Flag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "type": flag.type,
        "value": flag.value,
        "default": flag.default,
        "kill_value": flag.kill_value,
        "variants": list(flag.variants) if flag.variants is not None else None,
        "use_case": flag.use_case,
        "description": flag.description,
        "version": flag.version,
        "updated_at": flag.updated_at,
        "updated_by": flag.updated_by,
    }


def seed_declared(session: Session, config: FlagsConfig, now: datetime) -> list[str]:
    """Create the flags declared in tripwire.yaml that do not exist yet; returns their keys."""
    created: list[str] = []
    for decl in config.declare:
        if store.load_flag(session, decl.key) is not None:
            continue
        body = decl.model_dump(exclude_none=True)
        put_flag(session, decl.key, body, Actor("tripwire.yaml", "config"), now)
        created.append(decl.key)
    return created


def history(session: Session, key: str, limit: int = 200) -> list[store.FlagChange]:
    """Raises FlagNotFound when the flag never existed."""
    changes = store.history(session, key, limit)
    if not changes and store.load_flag(session, key) is None:
        raise FlagNotFound(key)
    return changes


def kill_switches(session: Session, use_case: str | None) -> list[Flag]:
    """The kill switches (flags that declare a `kill_value`) of `use_case`; else global ones."""
    flags = [f for f in list_flags(session) if f.kill_value is not None]
    own = [f for f in flags if use_case is not None and f.use_case == use_case]
    return own or [f for f in flags if f.use_case is None]

"""Extension points on the incident lifecycle, for the parts of respond built on top of the
service (change attribution, playbooks). A hook gets the service, so it can add tasks,
timeline entries, deadlines, suspects and page roles within the same transaction."""

from __future__ import annotations

import importlib
import logging
from functools import cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService
    from tripwire.store.tables.respond import IncidentRow

log = logging.getLogger("tripwire.respond")

# Import paths ("module:attribute") of hook objects shipped with Tripwire.
BUILTIN_HOOKS: list[str] = ["tripwire.respond.playbooks.hook:HOOK"]


class IncidentHook(Protocol):
    """Called inside the transaction that made the change; exceptions propagate (the change
    and the hook's work commit or roll back together)."""

    name: str

    def opened(self, service: IncidentService, incident: IncidentRow) -> None: ...

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None: ...

    def tick(self, service: IncidentService) -> None: ...


_extra: list[IncidentHook] = []


def register(hook: IncidentHook) -> None:
    """Add a hook for this process (tests, plug-ins)."""
    _extra.append(hook)


def unregister(hook: IncidentHook) -> None:
    if hook in _extra:
        _extra.remove(hook)


@cache
def _builtin() -> tuple[IncidentHook, ...]:
    hooks: list[IncidentHook] = []
    for path in BUILTIN_HOOKS:
        module, _, attr = path.partition(":")
        hooks.append(getattr(importlib.import_module(module), attr))
    return tuple(hooks)


def registered() -> list[IncidentHook]:
    return [*_builtin(), *_extra]

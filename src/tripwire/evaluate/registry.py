"""The evaluator registry: built-ins and plug-ins (entry point group `tripwire.evaluators`)
register the same way, by name."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from tripwire.evaluate.protocol import Evaluator

log = logging.getLogger("tripwire.evaluate")

ENTRY_POINT_GROUP = "tripwire.evaluators"

Factory = Callable[[], Evaluator]

_FACTORIES: dict[str, Factory] = {}
_loaded_plugins = False


class UnknownEvaluator(ValueError):
    """No evaluator is registered under this name."""


def register(name: str, factory: Factory) -> None:
    """Make `factory` available as `name`; a later registration of the same name wins."""
    _FACTORIES[name] = factory


def _load_builtins() -> None:
    from tripwire.evaluate.groundedness import GroundednessEvaluator
    from tripwire.evaluate.quality import QualityEvaluator
    from tripwire.evaluate.safety import SafetyEvaluator

    _FACTORIES.setdefault("quality", QualityEvaluator)
    _FACTORIES.setdefault("groundedness", GroundednessEvaluator)
    _FACTORIES.setdefault("safety", SafetyEvaluator)


def _load_plugins() -> None:
    """Entry points name a factory (a class or function returning an Evaluator)."""
    global _loaded_plugins
    if _loaded_plugins:
        return
    _loaded_plugins = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            register(ep.name, ep.load())
        except Exception:  # a broken plug-in must not stop the built-ins
            log.exception("cannot load evaluator plug-in %s (%s)", ep.name, ep.value)


def available() -> list[str]:
    _load_builtins()
    _load_plugins()
    return sorted(_FACTORIES)


def create(name: str) -> Evaluator:
    """A fresh evaluator instance; raises UnknownEvaluator naming the ones that exist."""
    names = available()
    if name not in _FACTORIES:
        raise UnknownEvaluator(f"no evaluator named {name!r}; known: {', '.join(names)}")
    return _FACTORIES[name]()

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from tripwire.evaluate import registry
from tripwire.evaluate.protocol import EvalInput, EvalResult


class Shouty:
    name = "shouty"

    def evaluate(self, item: EvalInput) -> EvalResult:
        upper = sum(c.isupper() for c in item.output)
        return EvalResult(self.name, 1.0 - upper / max(len(item.output), 1))


def test_the_builtins_are_registered() -> None:
    assert {"quality", "groundedness", "safety"} <= set(registry.available())


def test_a_plugin_is_found_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("shouty", f"{__name__}:Shouty", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point])
    monkeypatch.setattr(registry, "_loaded_plugins", False)
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    evaluator = registry.create("shouty")
    assert evaluator.evaluate(EvalInput("ABCD")).score == 0.0


def test_a_broken_plugin_does_not_hide_the_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    point = EntryPoint("broken", "no.such.module:Thing", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point])
    monkeypatch.setattr(registry, "_loaded_plugins", False)
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    assert "quality" in registry.available()
    assert "broken" not in registry.available()


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(registry.UnknownEvaluator, match="quality"):
        registry.create("nope")


def test_a_result_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        EvalResult("x", 1.5)

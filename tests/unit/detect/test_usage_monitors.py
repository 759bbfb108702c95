"""Token counts and their cost: priced per model, counted into the default monitors' series."""

from __future__ import annotations

import pytest

from tripwire.config.costs import CostsConfig
from tripwire.config.file import ConfigError, parse_config
from tripwire.config.monitors import COST_PER_HOUR, TOKENS_PER_OUTPUT
from tripwire.detect.cells import Counter


def test_prices_match_exactly_or_by_the_longest_pattern() -> None:
    costs = parse_config(
        {"costs": {"models": {"gpt-4o*": {"input_per_million": 1, "output_per_million": 2}}}}
    ).costs
    assert costs.cost("gpt-4o-2024-08-06", 1_000_000, 1_000_000) == 3.0  # configured wins
    assert costs.price_for("gpt-4o-mini-2024-07-18").input_per_million == 0.15  # type: ignore[union-attr]
    assert costs.cost("my-llama", 10, 10) is None
    assert costs.cost("gpt-4o", None, None) is None
    assert CostsConfig(defaults=False).price_for("gpt-4o") is None


def test_a_bad_price_is_named() -> None:
    with pytest.raises(ConfigError, match=r"costs.models.m.input_per_million"):
        parse_config(
            {"costs": {"models": {"m": {"input_per_million": -1, "output_per_million": 0}}}}
        )


def test_outputs_feed_tokens_per_output_and_cost_per_hour() -> None:
    counter = Counter(CostsConfig())
    for tokens in (100, 300):
        counter.observe(
            "output",
            "chat",
            {"id": f"o{tokens}", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": tokens},
            None,
        )
    counter.observe("output", "chat", {"id": "x", "model": "gpt-4o"}, None)  # no usage
    metrics = counter.cells[("chat", None)].metrics
    assert metrics[TOKENS_PER_OUTPUT] == [2.0, 400.0]  # mean 200 tokens per output
    spent = (2 * 1000 * 2.5 + 400 * 10.0) / 1e6
    count, total = metrics[COST_PER_HOUR]
    assert count == 1.0
    assert total == pytest.approx(spent * 60)  # this minute's spend, per hour

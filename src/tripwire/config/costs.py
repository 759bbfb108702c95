"""The `costs:` section of tripwire.yaml: what each model's tokens cost, for cost per output.

An output's cost is its `input_tokens` and `output_tokens` (from the SDK, the event, or the
instrumentation's usage attributes) priced by its `model`. Model names match exactly, or by
the longest pattern ending in `*` (`gpt-4o*` prices `gpt-4o-2024-08-06`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

MAX_REMEMBERED = 10_000  # model names whose price lookup is remembered
ModelPattern = Annotated[str, Field(min_length=1, max_length=256)]


class ModelPrice(BaseModel):
    """Price per million tokens, in the configured currency."""

    model_config = ConfigDict(extra="forbid")

    input_per_million: float = Field(ge=0.0, allow_inf_nan=False)
    output_per_million: float = Field(ge=0.0, allow_inf_nan=False)


# Public list prices in US dollars per million tokens (mid-2025). They go stale: set your own
# (`costs.models`), and `costs.defaults: false` drops these.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o*": (2.50, 10.00),
    "gpt-4o-mini*": (0.15, 0.60),
    "gpt-4.1*": (2.00, 8.00),
    "gpt-4.1-mini*": (0.40, 1.60),
    "gpt-4.1-nano*": (0.10, 0.40),
    "gpt-3.5-turbo*": (0.50, 1.50),
    "o3-mini*": (1.10, 4.40),
    "o4-mini*": (1.10, 4.40),
    "claude-3-5-haiku*": (0.80, 4.00),
    "claude-3-5-sonnet*": (3.00, 15.00),
    "claude-3-7-sonnet*": (3.00, 15.00),
    "claude-sonnet-4*": (3.00, 15.00),
    "claude-opus-4*": (15.00, 75.00),
}


class CostsConfig(BaseModel):
    """`costs:` in tripwire.yaml. Configured models win over the built-in list prices."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field("USD", min_length=1, max_length=16)
    defaults: bool = Field(True, description="use the built-in list prices for known models")
    models: dict[ModelPattern, ModelPrice] = Field(default_factory=dict, max_length=10_000)
    _prices: dict[str, ModelPrice] | None = PrivateAttr(default=None)
    _by_model: dict[str, ModelPrice | None] = PrivateAttr(default_factory=dict)

    def price_for(self, model: str) -> ModelPrice | None:
        """The price of `model`: an exact entry, else the longest matching `*` pattern."""
        if model in self._by_model:
            return self._by_model[model]
        found = self._lookup(model)
        if len(self._by_model) < MAX_REMEMBERED:
            self._by_model[model] = found
        return found

    def _lookup(self, model: str) -> ModelPrice | None:
        table = self._table()
        exact = table.get(model)
        if exact is not None:
            return exact
        matches = [
            (len(pattern), price)
            for pattern, price in table.items()
            if pattern.endswith("*") and model.startswith(pattern[:-1])
        ]
        return max(matches, key=lambda m: m[0])[1] if matches else None

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """What one call cost, or None without token counts or a price for the model."""
        if input_tokens is None and output_tokens is None:
            return None
        price = self.price_for(model)
        if price is None:
            return None
        spent = (input_tokens or 0) * price.input_per_million
        spent += (output_tokens or 0) * price.output_per_million
        return spent / 1_000_000

    def _table(self) -> dict[str, ModelPrice]:
        if self._prices is None:
            table: dict[str, ModelPrice] = {}
            if self.defaults:
                table.update(
                    {m: ModelPrice(input_per_million=i, output_per_million=o)
                     for m, (i, o) in DEFAULT_PRICES.items()}
                )  # fmt: skip
            table.update(self.models)
            self._prices = table
        return self._prices

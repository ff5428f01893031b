"""Estimated cost of a call in US dollars, from a per-model price table.

Prices are USD per one million tokens. The prompt's tokens served from the
provider's context cache are charged at the cached rate and not also at the
input rate; thought tokens are part of the output and charged at its rate. A
model missing from the table has no estimate (`None`), never a guessed one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    # Settings import this module; the provider package imports settings.
    from flight_recorder.providers.base import Usage

PER_TOKENS = 1_000_000

# Money rounded to a billionth of a dollar: below any real price difference,
# above the noise of float arithmetic.
_DIGITS = 9


class Rates(BaseModel):
    """USD per one million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(
        None, ge=0, description="Rate of cached prompt tokens; unset means `input`."
    )


class LongContextRates(Rates):
    """Rates that apply to the whole call once the prompt exceeds `above_tokens`."""

    above_tokens: int = Field(200_000, ge=1)


class ModelPrice(Rates):
    long_context: LongContextRates | None = None

    def rates_for(self, prompt_tokens: int) -> Rates:
        tier = self.long_context
        if tier is not None and prompt_tokens > tier.above_tokens:
            return tier
        return self


# Gemini API paid-tier list prices for text, per 1M tokens, as published on
# ai.google.dev/gemini-api/docs/pricing. Override or extend with MODEL_PRICES.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gemini-2.5-pro": ModelPrice(
        input=1.25,
        output=10.0,
        cached_input=0.125,
        long_context=LongContextRates(input=2.5, output=15.0, cached_input=0.25),
    ),
    "gemini-2.5-flash": ModelPrice(input=0.30, output=2.50, cached_input=0.03),
    "gemini-2.5-flash-lite": ModelPrice(input=0.10, output=0.40, cached_input=0.01),
    "gemini-2.0-flash": ModelPrice(input=0.10, output=0.40, cached_input=0.025),
    "gemini-2.0-flash-lite": ModelPrice(input=0.075, output=0.30),
}


class PriceTable:
    """The built-in prices with `overrides` laid over them, by model name."""

    def __init__(self, overrides: Mapping[str, ModelPrice] | None = None) -> None:
        self._prices = {**DEFAULT_PRICES, **(overrides or {})}

    def price_of(self, model: str) -> ModelPrice | None:
        # The API accepts a model as `gemini-x` or as the resource `models/gemini-x`.
        return self._prices.get(model.removeprefix("models/"))

    def cost(self, model: str, usage: Usage) -> float | None:
        """The estimated USD cost of `usage` on `model`; None when unknown.

        Counts the provider left out are zero (its JSON omits zero values),
        but a call with no counts at all has no estimate.
        """
        price = self.price_of(model)
        if price is None or (
            usage.input_tokens is None and usage.output_tokens is None
        ):
            return None

        prompt = usage.input_tokens or 0
        cached = min(usage.cached_tokens or 0, prompt)
        rates = price.rates_for(prompt)
        cached_rate = rates.input if rates.cached_input is None else rates.cached_input
        dollars = (
            (prompt - cached) * rates.input
            + cached * cached_rate
            + (usage.output_tokens or 0) * rates.output
        ) / PER_TOKENS
        return round(dollars, _DIGITS)

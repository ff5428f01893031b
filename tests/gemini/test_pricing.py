"""Estimated cost: the price table, cached and thought tokens, unknown models."""

from __future__ import annotations

import pytest

from flight_recorder import pricing
from flight_recorder.providers.base import Usage


def test_pricing_charges_input_and_output_at_their_rates():
    table = pricing.PriceTable()

    cost = table.cost("gemini-2.5-flash", Usage(input_tokens=1000, output_tokens=200))

    assert cost == pytest.approx((1000 * 0.30 + 200 * 2.50) / 1e6)


def test_pricing_charges_cached_input_once_at_the_cached_rate():
    table = pricing.PriceTable()
    usage = Usage(input_tokens=1000, cached_tokens=800, output_tokens=0)

    cost = table.cost("gemini-2.5-flash", usage)

    assert cost == pytest.approx((200 * 0.30 + 800 * 0.03) / 1e6)


def test_pricing_charges_thought_tokens_as_output_without_counting_them_twice():
    table = pricing.PriceTable()
    # output_tokens already holds the 90 thought tokens.
    usage = Usage(input_tokens=0, output_tokens=100, thought_tokens=90)

    assert table.cost("gemini-2.5-flash", usage) == pytest.approx(100 * 2.50 / 1e6)


def test_pricing_uses_the_long_context_rates_above_their_threshold():
    table = pricing.PriceTable()

    short = table.cost("gemini-2.5-pro", Usage(input_tokens=200_000, output_tokens=0))
    long = table.cost("gemini-2.5-pro", Usage(input_tokens=200_001, output_tokens=1))

    assert short == pytest.approx(0.25)
    assert long == pytest.approx((200_001 * 2.5 + 15.0) / 1e6)


def test_pricing_knows_the_resource_form_of_a_model_name():
    table = pricing.PriceTable()
    usage = Usage(input_tokens=10, output_tokens=10)

    assert table.cost("models/gemini-2.0-flash", usage) == table.cost(
        "gemini-2.0-flash", usage
    )


def test_pricing_has_no_estimate_for_an_unknown_model_or_unknown_usage():
    table = pricing.PriceTable()

    assert table.cost("gemini-9-ultra", Usage(input_tokens=1, output_tokens=1)) is None
    assert table.cost("gemini-2.5-flash", Usage()) is None


def test_pricing_overrides_lay_over_the_built_in_table():
    table = pricing.PriceTable({"my-model": pricing.ModelPrice(input=1.0, output=2.0)})
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=500_000)

    assert table.cost("my-model", usage) == pytest.approx(1.0)
    assert table.cost("gemini-2.5-flash", usage) is not None


def test_pricing_setting_is_read_and_checked(settings_env, client):
    settings_env(MODEL_PRICES='{"gemini-2.5-flash": {"input": 1, "output": 1}}')

    body = client("chat").post("/", json={"message": "hello"}).get_json()

    usage = body["usage"]
    expected = (usage["input_tokens"] + usage["output_tokens"]) / 1e6
    assert body["cost_usd"] == pytest.approx(expected)


def test_pricing_setting_that_is_not_a_price_table_stops_start_up(settings_env):
    from flight_recorder import settings
    from flight_recorder.errors import ConfigurationError

    settings_env(MODEL_PRICES='{"m": {"input": "free"}}')

    with pytest.raises(ConfigurationError, match="MODEL_PRICES"):
        settings.load()


def test_pricing_mock_traces_are_priced_as_the_requested_model(client):
    cheap = client("chat").post("/", json={"message": "hello"}).get_json()
    dear = (
        client("chat")
        .post("/", json={"message": "hello", "model": "gemini-2.5-pro"})
        .get_json()
    )
    unknown = (
        client("chat")
        .post("/", json={"message": "hello", "model": "my-own-model"})
        .get_json()
    )

    assert 0 < cheap["cost_usd"] < dear["cost_usd"]
    assert unknown["cost_usd"] is None
    trace = client("trace_detail").get(f"/{dear['trace_id']}").get_json()
    assert trace["cost_usd"] == dear["cost_usd"]
    assert trace["saved_cost_usd"] is None

"""The Kraken adapter is registered through galfriday's `kraken` entry point, like any plugin, and the app
builds it from configuration alone."""

from __future__ import annotations

import pytest
from kraken_sim_market import KEY, SECRET

from galfriday.adapters.kraken.exchange import NO_STREAM, KrakenExchange
from galfriday.app import App
from galfriday.config import config_from_mapping
from galfriday.errors import ConfigurationError, StartupError
from galfriday.plugins import build_plugin_manager, collect_adapters
from galfriday.testing.kraken_simulator import KrakenSimulator


def kraken_config(sim: KrakenSimulator, **extra: str) -> dict[str, str]:
    return {
        "GALFRIDAY_EXCHANGE": "kraken",
        "GALFRIDAY_STORE": "memory",
        "GALFRIDAY_KRAKEN_REST_URL": sim.rest_url,
        "GALFRIDAY_KRAKEN_WS_URL": sim.ws_url,
        "GALFRIDAY_KRAKEN_WS_AUTH_URL": sim.ws_auth_url,
        "GALFRIDAY_KRAKEN_API_KEY": KEY,
        "GALFRIDAY_KRAKEN_API_SECRET": SECRET,
        **extra,
    }


def test_the_kraken_exchange_is_registered_by_the_galfriday_distribution_entry_point() -> None:
    registration = collect_adapters(build_plugin_manager(disabled=())).get("exchange", "kraken")

    assert (registration.plugin, registration.distribution) == ("kraken", "galfriday")


def test_the_kraken_commands_are_added_to_the_cli_by_the_plugin() -> None:
    from galfriday.cli import build_cli

    assert "kraken" in build_cli().commands


async def test_the_app_builds_and_starts_a_kraken_exchange_from_the_environment(sim: KrakenSimulator) -> None:
    config = config_from_mapping({}, kraken_config(sim))

    async with App.from_config(config, kinds=("exchange",)) as app:
        exchange = app.exchange
        assert isinstance(exchange, KrakenExchange)
        assert "BTC/USD" in {pair.symbol for pair in await exchange.pairs()}
        assert exchange.health().healthy


async def test_with_the_stream_turned_off_the_exchange_is_rest_only(sim: KrakenSimulator) -> None:
    config = config_from_mapping({}, kraken_config(sim, GALFRIDAY_KRAKEN_STREAM="false"))

    async with App.from_config(config, kinds=("exchange",)) as app:
        assert app.exchange.stream is None
        assert app.exchange.health().reason == NO_STREAM


async def test_without_api_keys_the_app_refuses_to_start_naming_the_variable(sim: KrakenSimulator) -> None:
    environment = kraken_config(sim)
    del environment["GALFRIDAY_KRAKEN_API_SECRET"]
    config = config_from_mapping({}, environment)

    with pytest.raises((ConfigurationError, StartupError), match="GALFRIDAY_KRAKEN_API_SECRET"):
        async with App.from_config(config, kinds=("exchange",)):
            pass


async def test_an_unknown_rate_tier_is_refused_listing_the_tiers(sim: KrakenSimulator) -> None:
    config = config_from_mapping({}, kraken_config(sim, GALFRIDAY_KRAKEN_RATE_TIER="platinum"))

    with pytest.raises((ConfigurationError, StartupError), match="intermediate"):
        async with App.from_config(config, kinds=("exchange",)):
            pass

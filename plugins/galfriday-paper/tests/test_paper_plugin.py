"""The plugin is found through its entry point and built from configuration, like any galfriday adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from galfriday_paper import PaperExchange

from galfriday.app import App
from galfriday.config import Config, ExchangeConfig
from galfriday.domain.balances import Balance
from galfriday.errors import ConfigurationError, StartupError
from galfriday.plugins import build_plugin_manager, collect_adapters


def test_the_paper_exchange_is_registered_by_the_installed_distribution() -> None:
    registration = collect_adapters(build_plugin_manager()).get("exchange", "paper")

    assert (registration.plugin, registration.distribution) == ("paper", "galfriday-paper")


async def test_an_app_configured_for_paper_runs_a_started_paper_exchange() -> None:
    config = Config(exchange=ExchangeConfig(adapter="paper"))

    async with App.from_config(config, kinds=("exchange",)) as app:
        assert isinstance(app.exchange, PaperExchange)
        assert app.exchange.health().healthy
        assert {p.symbol for p in await app.exchange.pairs()} == {"BTC/USD", "ETH/USD"}
        assert [(b.asset, b.total) for b in await app.exchange.balances()] == [("USD", Decimal("100000"))]

    assert not app.exchange.health().healthy


async def test_settings_choose_the_pairs_balances_and_fees() -> None:
    settings = {
        "pairs": [
            {"symbol": "SOL/EUR", "price_precision": 2, "quantity_precision": 4, "min_quantity": "0.1"}
        ],
        "balances": {"EUR": "2500.50", "SOL": 3},
        "maker_fee": "0",
        "taker_fee": 0.001,
    }
    config = Config(exchange=ExchangeConfig(adapter="paper", settings=settings))

    async with App.from_config(config, kinds=("exchange",)) as app:
        [pair] = await app.exchange.pairs()
        balances = await app.exchange.balances()

    assert (pair.symbol, pair.tick, pair.lot, pair.min_quantity) == (
        "SOL/EUR",
        Decimal("0.01"),
        Decimal("0.0001"),
        Decimal("0.1"),
    )
    assert [(b.asset, b.total) for b in balances] == [("EUR", Decimal("2500.50")), ("SOL", Decimal("3"))]
    assert all(isinstance(b, Balance) for b in balances)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"taker_fee": "2%"}, "exchange.settings.taker_fee"),
        ({"maker_fee": "1.5"}, "exchange.settings.maker_fee"),
        ({"balances": ["USD", 100]}, "exchange.settings.balances"),
        ({"balances": {"USD": "-5"}}, "exchange.settings.balances.USD"),
        ({"pairs": [{"symbol": "BTCUSD"}]}, "exchange.settings.pairs"),
        ({"pairs": []}, "exchange.settings.pairs"),
        ({"pairs": [{"symbol": "BTC/USD"}, {"symbol": "BTC/USD"}]}, "exchange.settings.pairs"),
        ({"fees": "0.001"}, "exchange.settings.fees"),
    ],
    ids=[
        "a fee not a number",
        "a fee of 1 or more",
        "balances not a table",
        "a negative balance",
        "a malformed symbol",
        "no pairs",
        "a pair twice",
        "an unknown key",
    ],
)
async def test_bad_settings_fail_start_up_naming_the_key(settings: dict[str, object], key: str) -> None:
    config = Config(exchange=ExchangeConfig(adapter="paper", settings=settings))

    with pytest.raises((ConfigurationError, StartupError), match=key.replace(".", r"\.")):
        async with App.from_config(config, kinds=("exchange",)):
            pass

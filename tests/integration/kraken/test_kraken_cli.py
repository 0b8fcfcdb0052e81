"""`galfriday kraken balances|orders`, through the real CLI (plugins loaded from entry points) against a
simulator, configured only by environment variables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from click.testing import CliRunner, Result
from kraken_sim_market import START, SimulatorThread, rest_client, simulator

from galfriday.cli import build_cli
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import AuthenticationError


@pytest.fixture
def served() -> Iterator[SimulatorThread]:
    with SimulatorThread(simulator()) as thread:
        yield thread


def invoke(served: SimulatorThread, *args: str, **env: str | None) -> Result:
    return CliRunner().invoke(build_cli(), ["kraken", *args], env={**served.environment(), **env})


def place_resting_buy(served: SimulatorThread, client_order_id: str, price: str) -> str:
    order = Order.create(
        client_order_id=client_order_id,
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.01"),
        limit_price=Decimal(price),
        at=START,
    )

    async def place() -> str:
        async with rest_client(served.sim) as client:
            placed = await client.add_order(order)
        assert placed.exchange_order_id is not None
        return placed.exchange_order_id

    return served.run(place())


def test_balances_json_lists_each_asset_with_exact_amounts(served: SimulatorThread) -> None:
    result = invoke(served, "balances", "--json")

    assert result.exit_code == 0, result.output
    rows = {row["asset"]: row for row in json.loads(result.output)}
    assert rows["USD"] == {
        "asset": "USD",
        "total": "100000.0000",
        "available": "100000.0000",
        "held": "0.0000",
    }
    assert Decimal(rows["BTC"]["total"]) == 2


def test_balances_show_what_an_open_order_holds(served: SimulatorThread) -> None:
    place_resting_buy(served, "cli-held-1", "20000.0")

    result = invoke(served, "balances", "--json")

    usd = next(row for row in json.loads(result.output) if row["asset"] == "USD")
    assert Decimal(usd["held"]) >= Decimal("200")
    assert Decimal(usd["available"]) + Decimal(usd["held"]) == Decimal(usd["total"])


def test_balances_table_names_the_assets(served: SimulatorThread) -> None:
    result = invoke(served, "balances")

    assert result.exit_code == 0, result.output
    assert "Kraken balances" in result.output
    assert "USD" in result.output
    assert "100000" in result.output


def test_orders_json_lists_open_orders_oldest_first(served: SimulatorThread) -> None:
    first = place_resting_buy(served, "cli-order-1", "20000.0")
    second = place_resting_buy(served, "cli-order-2", "21000.0")

    result = invoke(served, "orders", "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["exchange_order_id"] for row in rows] == [first, second]
    assert rows[0]["client_order_id"] == "cli-order-1"
    assert (rows[0]["symbol"], rows[0]["side"], rows[0]["limit_price"], rows[0]["status"]) == (
        "BTC/USD",
        "buy",
        "20000.0",
        "new",
    )


def test_orders_table_shows_an_open_order(served: SimulatorThread) -> None:
    exchange_order_id = place_resting_buy(served, "cli-order-3", "20000.0")

    result = invoke(served, "orders")

    assert result.exit_code == 0, result.output
    assert exchange_order_id in result.output


def test_no_open_orders_is_an_empty_list(served: SimulatorThread) -> None:
    result = invoke(served, "orders", "--json")

    assert json.loads(result.output) == []


def test_a_missing_api_key_is_reported_with_the_variable_to_set(served: SimulatorThread) -> None:
    result = invoke(served, "balances", GALFRIDAY_KRAKEN_API_KEY=None)

    assert result.exit_code != 0
    assert "GALFRIDAY_KRAKEN_API_KEY" in str(result.exception)


def test_a_wrong_secret_is_refused_by_the_exchange_without_printing_it(served: SimulatorThread) -> None:
    wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy1zZWNyZXQtd3Jvbmc="
    result = invoke(served, "balances", GALFRIDAY_KRAKEN_API_SECRET=wrong)

    assert isinstance(result.exception, AuthenticationError)
    assert wrong not in result.output + str(result.exception)

"""The simulator's core without a network: wire formats, ids, depth kept in step with the matching engine,
money rules, and the catalog's names."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator import Catalog, KrakenSimulator
from galfriday.testing.kraken_simulator.errors import KrakenError
from galfriday.testing.kraken_simulator.ids import IdFactory
from galfriday.testing.kraken_simulator.records import OrderRequest
from galfriday.testing.kraken_simulator.wire import Fixed, dumps, number_text, rest_time

NOW = datetime(2023, 7, 6, 18, 50, 48, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("4.00000000", "4.0"),
        ("0.5660", "0.566"),
        ("26500", "26500.0"),
        ("0", "0.0"),
        ("1E-8", "0.00000001"),
        ("-7500.00", "-7500.0"),
        ("18097.1547", "18097.1547"),
    ],
)
def test_v2_numbers_are_exact_without_trailing_zeros(value: str, text: str) -> None:
    assert number_text(Decimal(value)) == text


def test_json_writes_decimals_as_numbers_and_fixed_times_with_four_decimals() -> None:
    assert dumps({"qty": Decimal("0.10"), "t": rest_time(NOW), "ok": True, "n": None}) == (
        '{"qty":0.1,"t":1688669448.1234,"ok":true,"n":null}'
    )
    assert dumps([Fixed(Decimal("1.99999"), 2)]) == "[1.99]"


def test_ids_have_krakens_shapes_and_repeat_for_a_seed() -> None:
    first, second = IdFactory(7), IdFactory(7)
    txid = first.txid("O")
    assert re.fullmatch(r"O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}", txid)
    assert second.txid("O") == txid
    assert len({first.txid("T") for _ in range(1000)}) == 1000
    assert first.connection_id() >= 2**63


def test_the_catalog_knows_every_name_of_a_pair() -> None:
    catalog = Catalog(["DOGE/USD"])
    assert {catalog.pair(n).key for n in ("XDGUSD", "XDG/USD", "DOGE/USD")} == {"XDGUSD"}
    assert [a.key for a in catalog.assets] == ["XXDG", "ZUSD"]
    with pytest.raises(KrakenError, match="EQuery:Unknown asset pair"):
        catalog.pair("BTC/USD")


def test_an_unknown_pair_in_the_constructor_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="BTC/USD"):
        Catalog(["FOO/BAR"])


def test_depth_follows_the_engine_through_random_activity() -> None:
    sim = KrakenSimulator(api_key="k", api_secret="c2VjcmV0", balances={"USD": 10**6}, seed=3)
    for symbol in sim.catalog.symbols:
        sim.market.seed_book(symbol, levels=15)
    for _ in range(2000):
        sim.market.step()
    for symbol in sim.catalog.symbols:
        for side in OrderSide:
            assert sim.state.depth[symbol].top(side, 1000) == sim.state.engine.book(symbol).levels(side)


def test_fees_and_ledger_amounts_round_half_up_to_the_quote_decimals() -> None:
    sim = KrakenSimulator(api_key="k", api_secret="c2VjcmV0", balances={"USD": 1000, "BTC": 1})
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.1"), Decimal("1"))
    account = sim.state.account("default")
    sim.state.add_order(account, OrderRequest("BTC/USD", OrderSide.BUY, "market", Decimal("0.00012345")))
    (trade,) = sim.truth().executions
    assert trade.cost == Decimal("3.703512345")
    assert trade.fee == Decimal("0.0096")  # 0.009629132... taker 0.26%, to 4 decimals
    assert sim.truth().balances["USD"] == Decimal("1000") - Decimal("3.7035") - Decimal("0.0096")


def test_a_market_buy_holds_what_walking_the_book_costs() -> None:
    clock = ManualClock(NOW)
    sim = KrakenSimulator(api_key="k", api_secret="c2VjcmV0", balances={"USD": 100}, clock=clock)
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("1"))
    account = sim.state.account("default")
    with pytest.raises(KrakenError, match="EOrder:Insufficient funds"):
        sim.state.add_order(account, OrderRequest("BTC/USD", OrderSide.BUY, "market", Decimal("0.01")))
    assert sim.truth().orders == {}

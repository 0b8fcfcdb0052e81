"""Private REST endpoints: balances, order entry and its checks, cancels, order and trade queries with
pagination, the dead-man's switch and WebSocket tokens, in Kraken's documented shapes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest
from kraken_sim_clients import BALANCES, KEY, SECRET, Rest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.testing.kraken_simulator import KrakenSimulator

TXID = re.compile(r"O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}")
TRADE_ID = re.compile(r"T[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}")


async def limit(
    rest: Rest, side: str = "buy", price: str = "29000.0", volume: str = "0.01", **extra: str
) -> str:
    result = await rest.result(
        "AddOrder", pair="XBTUSD", type=side, ordertype="limit", price=price, volume=volume, **extra
    )
    return str(result["txid"][0])


async def error_of(rest: Rest, method: str, **params: object) -> list[str]:
    return list((await rest.private(method, **params))["error"])


# --- balances -----------------------------------------------------------------------------------------


async def test_balance_writes_each_asset_with_its_decimals(rest: Rest) -> None:
    result = await rest.result("Balance")
    assert result["ZUSD"] == "100000.0000"
    assert result["XXBT"] == "2.0000000000"
    assert result["XXDG"] == "100000.00000000"


async def test_balance_ex_shows_what_open_orders_hold(rest: Rest) -> None:
    await limit(rest, price="20000.0", volume="0.5")
    await limit(rest, side="sell", price="40000.0", volume="0.25")
    result = await rest.result("BalanceEx")
    assert result["ZUSD"] == {"balance": "100000.0000", "hold_trade": "10026.0000"}  # 0.5 * 20000 * 1.0026
    assert result["XXBT"] == {"balance": "2.0000000000", "hold_trade": "0.2500000000"}


# --- order entry ---------------------------------------------------------------------------------------


async def test_add_order_answers_a_kraken_txid_and_a_description(rest: Rest) -> None:
    result = await rest.result(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", price="25000.1", volume="2.1234"
    )
    assert TXID.fullmatch(result["txid"][0])
    assert result["descr"] == {"order": "buy 2.12340000 XBTUSD @ limit 25000.1"}


async def test_add_order_accepts_a_json_body(rest: Rest) -> None:
    params = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "price": "25000.1", "volume": "0.01"}
    status, payload = await rest.raw_private("AddOrder", params, as_json=True)
    assert (status, payload["error"]) == (200, [])


async def test_validate_only_checks_and_places_nothing(rest: Rest) -> None:
    result = await rest.result(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01", validate="true"
    )
    assert result == {"descr": {"order": "buy 0.01000000 XBTUSD @ market"}}
    assert (await rest.result("OpenOrders"))["open"] == {}


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"ordertype": "stop-loss"}, "EGeneral:Invalid arguments:ordertype"),
        ({"type": "hold"}, "EGeneral:Invalid arguments:type"),
        ({"volume": "0.000000001"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "abc"}, "EGeneral:Invalid arguments:volume"),
        ({"volume": "0.00005"}, "EOrder:Order minimum not met"),
        ({"price": "29000.05"}, "EOrder:Invalid price:XBTUSD price can only be specified up to 1 decimals."),
        ({"price": "1.0", "volume": "0.0001"}, "EOrder:Cost minimum not met"),
        ({"volume": "100"}, "EOrder:Insufficient funds"),
        ({"userref": str(2**31)}, "EGeneral:Invalid arguments:userref"),
        ({"userref": "12.5"}, "EGeneral:Invalid arguments:userref"),
        ({"userref": "7", "cl_ord_id": "mine"}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"cl_ord_id": "nineteen-chars-long"}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"timeinforce": "FOK"}, "EGeneral:Invalid arguments:timeinforce"),
        ({"timeinforce": "GTD"}, "EGeneral:Invalid arguments:expiretm"),
        ({"oflags": "post,bogus"}, "EGeneral:Invalid arguments:oflags"),
        ({"pair": "NOPEUSD"}, "EQuery:Unknown asset pair"),
        ({"deadline": "2000-01-01T00:00:00Z"}, "EService:Deadline elapsed"),
    ],
)
async def test_add_order_refuses_bad_orders_with_krakens_errors(
    rest: Rest, params: dict[str, str], error: str
) -> None:
    order = {
        "pair": "XBTUSD",
        "type": "buy",
        "ordertype": "limit",
        "price": "29000.0",
        "volume": "0.01",
        **params,
    }
    assert await error_of(rest, "AddOrder", **order) == [error]


async def test_userref_at_the_int32_limits_is_accepted(rest: Rest) -> None:
    for userref in (str(2**31 - 1), str(-(2**31))):
        await limit(rest, userref=userref)
    refs = {o["userref"] for o in (await rest.result("OpenOrders"))["open"].values()}
    assert refs == {2**31 - 1, -(2**31)}


async def test_cl_ord_id_may_be_a_uuid_a_short_uuid_or_short_text(rest: Rest) -> None:
    for cl_ord_id in (
        "6d1b345e-2821-40e2-ad83-4ecb18a06876",
        "6d1b345e282140e2ad834ecb18a06876",
        "my-order-1",
    ):
        await limit(rest, cl_ord_id=cl_ord_id)
    assert len((await rest.result("OpenOrders"))["open"]) == 3


async def test_a_cl_ord_id_in_use_by_an_open_order_is_refused(rest: Rest) -> None:
    await limit(rest, cl_ord_id="dup")
    assert (
        await error_of(
            rest,
            "AddOrder",
            pair="XBTUSD",
            type="buy",
            ordertype="limit",
            price="1000.0",
            volume="0.01",
            cl_ord_id="dup",
        )
    )[0].startswith("EGeneral:Invalid arguments:cl_ord_id")


async def test_orders_are_refused_while_the_market_is_cancel_only(sim: KrakenSimulator, rest: Rest) -> None:
    sim.set_system_status("cancel_only")
    assert await error_of(rest, "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01") == [
        "EService:Market in cancel_only mode"
    ]


async def test_orders_are_refused_during_maintenance(sim: KrakenSimulator, rest: Rest) -> None:
    sim.set_system_status("maintenance")
    assert await error_of(rest, "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01") == [
        "EService:Unavailable"
    ]


# --- fills ---------------------------------------------------------------------------------------------


async def test_a_market_order_fills_and_shows_in_query_orders_and_trades(
    sim: KrakenSimulator, rest: Rest
) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("1"))
    txid = (await rest.result("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.25"))[
        "txid"
    ][0]
    order = (await rest.result("QueryOrders", txid=txid, trades="true"))[txid]
    assert order["status"] == "closed"
    assert (order["vol"], order["vol_exec"], order["cost"], order["fee"]) == (
        "0.25000000",
        "0.25000000",
        "7500.00000",
        "19.50000",
    )
    assert order["price"] == "30000.0"
    assert order["descr"]["order"] == "buy 0.25000000 XBTUSD @ market"
    (trade_txid,) = order["trades"]
    assert TRADE_ID.fullmatch(trade_txid)
    trades = await rest.result("TradesHistory")
    assert trades["count"] == 1
    trade = trades["trades"][trade_txid]
    assert trade["ordertxid"] == txid
    assert (trade["pair"], trade["type"], trade["ordertype"], trade["maker"]) == (
        "XXBTZUSD",
        "buy",
        "market",
        False,
    )
    assert (trade["price"], trade["vol"], trade["cost"], trade["fee"]) == (
        "30000.00000",
        "0.25000000",
        "7500.00000",
        "19.50000",
    )
    assert isinstance(trade["time"], Decimal)
    assert isinstance(trade["trade_id"], int)


async def test_a_fill_moves_balances_with_the_fee_on_the_quote(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("1"))
    await rest.result("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.25")
    balance = await rest.result("Balance")
    assert balance["XXBT"] == "2.2500000000"
    assert balance["ZUSD"] == "92480.5000"  # 100000 - 7500 - 19.5
    assert sim.truth().balances["USD"] == Decimal("92480.5000")


async def test_a_resting_order_filled_by_another_trader_is_a_maker_fill(
    sim: KrakenSimulator, rest: Rest
) -> None:
    txid = await limit(rest, price="29000.0", volume="0.1")
    sim.market.trade("BTC/USD", "sell", Decimal("29000.0"), Decimal("0.04"))
    order = (await rest.result("QueryOrders", txid=txid))[txid]
    assert (order["status"], order["vol_exec"], order["fee"]) == ("open", "0.04000000", "1.85600")
    trade = next(iter((await rest.result("TradesHistory"))["trades"].values()))
    assert trade["maker"] is True


async def test_an_ioc_remainder_is_canceled(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("0.1"))
    txid = await limit(rest, price="30000.0", volume="0.3", timeinforce="IOC")
    order = (await rest.result("QueryOrders", txid=txid))[txid]
    assert (order["status"], order["vol_exec"], order["misc"]) == ("canceled", "0.10000000", "partial")


async def test_a_post_only_order_that_would_take_is_canceled(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("0.1"))
    txid = await limit(rest, price="30000.0", volume="0.01", oflags="post")
    order = (await rest.result("QueryOrders", txid=txid))[txid]
    assert (order["status"], order["reason"], order["oflags"]) == ("canceled", "Post only order", "post,fciq")


# --- cancels and queries -------------------------------------------------------------------------------


async def test_cancel_order_by_txid_closes_it_as_user_requested(rest: Rest) -> None:
    txid = await limit(rest)
    assert await rest.result("CancelOrder", txid=txid) == {"count": 1}
    assert (await rest.result("OpenOrders"))["open"] == {}
    closed = await rest.result("ClosedOrders")
    assert closed["count"] == 1
    assert closed["closed"][txid]["status"] == "canceled"
    assert closed["closed"][txid]["reason"] == "User requested"


async def test_cancel_order_by_cl_ord_id(rest: Rest) -> None:
    await limit(rest, cl_ord_id="abc-1")
    assert await rest.result("CancelOrder", cl_ord_id="abc-1") == {"count": 1}


async def test_cancel_order_by_userref_cancels_every_order_with_it(rest: Rest) -> None:
    await limit(rest, userref="42")
    await limit(rest, userref="42")
    assert await rest.result("CancelOrder", txid="42") == {"count": 2}


async def test_cancelling_an_unknown_or_closed_order_is_unknown_order(rest: Rest) -> None:
    assert await error_of(rest, "CancelOrder", txid="OAAAAA-BBBBB-CCCCCC") == ["EOrder:Unknown order"]
    txid = await limit(rest)
    await rest.result("CancelOrder", txid=txid)
    assert await error_of(rest, "CancelOrder", txid=txid) == ["EOrder:Unknown order"]


async def test_open_orders_have_the_documented_fields(rest: Rest) -> None:
    txid = await limit(rest, price="30010.0", volume="1.25", cl_ord_id="c1")
    order = (await rest.result("OpenOrders"))["open"][txid]
    assert order["status"] == "open"
    assert order["refid"] is None
    assert order["userref"] == 0
    assert order["cl_ord_id"] == "c1"
    assert order["descr"] == {
        "pair": "XBTUSD",
        "type": "buy",
        "ordertype": "limit",
        "price": "30010.0",
        "price2": "0",
        "leverage": "none",
        "order": "buy 1.25000000 XBTUSD @ limit 30010.0",
        "close": "",
    }
    assert (order["vol"], order["vol_exec"], order["oflags"], order["starttm"]) == (
        "1.25000000",
        "0.00000000",
        "fciq",
        0,
    )
    assert re.fullmatch(r"\d{10}\.\d{4}", str(order["opentm"]))


async def test_open_orders_filter_by_userref_and_cl_ord_id(rest: Rest) -> None:
    first = await limit(rest, userref="1")
    await limit(rest, userref="2")
    third = await limit(rest, cl_ord_id="named")
    assert list((await rest.result("OpenOrders", userref="1"))["open"]) == [first]
    assert list((await rest.result("OpenOrders", cl_ord_id="named"))["open"]) == [third]


async def test_query_orders_refuses_an_unknown_txid(rest: Rest) -> None:
    assert await error_of(rest, "QueryOrders", txid="OAAAAA-BBBBB-CCCCCC") == ["EOrder:Invalid order"]


async def test_query_orders_answers_several_txids(rest: Rest) -> None:
    txids = [await limit(rest) for _ in range(3)]
    assert set(await rest.result("QueryOrders", txid=",".join(txids))) == set(txids)


async def test_closed_orders_page_newest_first_with_a_total_count(rest: Rest) -> None:
    txids = [await limit(rest, price="1000.0", volume="0.001") for _ in range(55)]
    assert await rest.result("CancelAll") == {"count": 55}
    first = await rest.result("ClosedOrders")
    second = await rest.result("ClosedOrders", ofs=50)
    assert (first["count"], len(first["closed"]), len(second["closed"])) == (55, 50, 5)
    assert set(first["closed"]) | set(second["closed"]) == set(txids)


async def test_closed_orders_start_is_exclusive_by_txid(rest: Rest) -> None:
    txids = [await limit(rest, price="1000.0", volume="0.001") for _ in range(3)]
    for txid in txids:
        await rest.result("CancelOrder", txid=txid)
    assert set((await rest.result("ClosedOrders", start=txids[0]))["closed"]) == set(txids[1:])


async def test_trades_history_pages_newest_first(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("10"))
    for _ in range(53):
        await rest.result("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.001")
    first = await rest.result("TradesHistory")
    second = await rest.result("TradesHistory", ofs=50)
    assert (first["count"], len(first["trades"]), len(second["trades"])) == (53, 50, 3)
    exec_ids = [t.exec_id for t in sim.truth().executions]
    assert list(first["trades"]) == exec_ids[::-1][:50]
    assert list(second["trades"]) == exec_ids[::-1][50:]


async def test_trades_history_can_list_ledger_ids(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("1"))
    await rest.result("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.01")
    trade = next(iter((await rest.result("TradesHistory", ledgers="true"))["trades"].values()))
    assert len(trade["ledgers"]) == 2


# --- tokens and the dead-man's switch ------------------------------------------------------------------


async def test_get_websockets_token_gives_a_token_for_900_seconds(rest: Rest) -> None:
    result = await rest.result("GetWebSocketsToken")
    assert result["expires"] == 900
    assert re.fullmatch(r"[A-Za-z0-9]{43}", result["token"])


@pytest.fixture
async def manual() -> AsyncIterator[tuple[KrakenSimulator, ManualClock, Rest]]:
    clock = ManualClock(datetime(2024, 3, 24, 17, 41, 56, tzinfo=UTC))
    sim = KrakenSimulator(api_key=KEY, api_secret=SECRET, balances=BALANCES, clock=clock, rate_tier=None)
    await sim.start()
    async with aiohttp.ClientSession() as session:
        yield sim, clock, Rest(session, sim.rest_url)
    await sim.close()


async def test_cancel_all_orders_after_answers_current_and_trigger_times(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    _, _, rest = manual
    result = await rest.result("CancelAllOrdersAfter", timeout=60)
    assert result == {"currentTime": "2024-03-24T17:41:56Z", "triggerTime": "2024-03-24T17:42:56Z"}
    assert await rest.result("CancelAllOrdersAfter", timeout=0) == {
        "currentTime": "2024-03-24T17:41:56Z",
        "triggerTime": "0",
    }


async def test_the_dead_mans_switch_cancels_every_open_order_when_it_fires(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    sim, clock, rest = manual
    txids = [await limit(rest), await limit(rest)]
    await rest.result("CancelAllOrdersAfter", timeout=10)
    clock.advance(9)
    await asyncio.sleep(0.15)
    assert len((await rest.result("OpenOrders"))["open"]) == 2
    clock.advance(2)
    await asyncio.sleep(0.15)
    assert (await rest.result("OpenOrders"))["open"] == {}
    assert {sim.truth().orders[t].state.value for t in txids} == {"canceled"}


async def test_re_arming_the_switch_pushes_the_trigger_back(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    _, clock, rest = manual
    await limit(rest)
    await rest.result("CancelAllOrdersAfter", timeout=10)
    clock.advance(8)
    await rest.result("CancelAllOrdersAfter", timeout=10)
    clock.advance(8)
    assert len((await rest.result("OpenOrders"))["open"]) == 1


async def test_the_dead_mans_switch_timeout_must_be_under_a_day(rest: Rest) -> None:
    assert await error_of(rest, "CancelAllOrdersAfter", timeout=86400) == [
        "EGeneral:Invalid arguments:timeout"
    ]


async def test_a_good_till_date_order_expires(manual: tuple[KrakenSimulator, ManualClock, Rest]) -> None:
    _, clock, rest = manual
    txid = await limit(rest, timeinforce="GTD", expiretm="+5")
    clock.advance(6)
    order = (await rest.result("QueryOrders", txid=txid))[txid]
    assert (order["status"], order["reason"]) == ("expired", "Order expired")

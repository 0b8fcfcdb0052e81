"""The authenticated WebSocket: token rules, `executions` and `balances` with snapshots and sequence
numbers, trading methods, and no replay of what happened while a client was away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from kraken_sim_clients import BALANCES, KEY, SECRET, Message, Rest, Ws, open_ws, subscribe_executions

from galfriday.adapters.memory.clock import ManualClock
from galfriday.testing.kraken_simulator import KrakenSimulator


async def market_buy(rest: Rest, volume: str = "0.25", **extra: Any) -> str:
    result = await rest.result(
        "AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume=volume, **extra
    )
    return str(result["txid"][0])


def offer(sim: KrakenSimulator, qty: str = "1", price: str = "30000.0") -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal(price), Decimal(qty))


async def executions(ws: Ws, count: int) -> list[Message]:
    return await ws.collect("executions", count)


# --- tokens --------------------------------------------------------------------------------------------


async def test_private_channels_need_a_token(private_ws: Ws) -> None:
    ack = await private_ws.subscribe({"channel": "executions"})
    assert (ack["success"], ack["error"]) == (False, "ESession:Invalid session")


async def test_an_invented_token_is_refused(private_ws: Ws) -> None:
    ack = await private_ws.subscribe({"channel": "balances", "token": "x" * 43})
    assert (ack["success"], ack["error"]) == (False, "ESession:Invalid session")


async def test_private_channels_are_refused_on_the_public_endpoint(public_ws: Ws, rest: Rest) -> None:
    ack = await public_ws.subscribe({"channel": "executions", "token": await rest.token()})
    assert ack["success"] is False


async def test_the_executions_ack_reports_the_options_and_maxratecount(private_ws: Ws, rest: Rest) -> None:
    ack = await subscribe_executions(private_ws, rest, snap_orders=True, snap_trades=True)
    assert ack["result"] == {
        "channel": "executions",
        "maxratecount": 125,
        "snap_orders": True,
        "snap_trades": True,
    }


@pytest.fixture
async def manual() -> AsyncIterator[tuple[KrakenSimulator, ManualClock, Rest]]:
    clock = ManualClock(datetime(2024, 5, 1, tzinfo=UTC))
    sim = KrakenSimulator(api_key=KEY, api_secret=SECRET, balances=BALANCES, clock=clock, rate_tier=None)
    await sim.start()
    async with aiohttp.ClientSession() as session:
        yield sim, clock, Rest(session, sim.rest_url)
    await sim.close()


async def test_a_token_not_used_within_its_time_is_refused(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    sim, clock, rest = manual
    token = await rest.token()
    clock.advance(901)
    ws = await open_ws(sim.ws_auth_url)
    ack = await ws.subscribe({"channel": "executions", "token": token})
    assert (ack["success"], ack["error"]) == (False, "ESession:Invalid session")
    await ws.connection.close()


async def test_a_token_used_in_time_keeps_working_on_its_connection_only(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    sim, clock, rest = manual
    token = await rest.token()
    ws = await open_ws(sim.ws_auth_url)
    assert (await ws.subscribe({"channel": "executions", "token": token}))["success"] is True
    clock.advance(3600)
    assert (await ws.subscribe({"channel": "balances", "token": token}))["success"] is True
    other = await open_ws(sim.ws_auth_url)
    assert (await other.subscribe({"channel": "balances", "token": token}))["success"] is False
    await ws.connection.close()
    await other.connection.close()


# --- executions ----------------------------------------------------------------------------------------


async def test_an_order_streams_pending_new_new_trade_filled_with_rising_sequence(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    offer(sim)
    await subscribe_executions(private_ws, rest)
    snapshot = await private_ws.until(lambda m: m.get("channel") == "executions")
    assert (snapshot["type"], snapshot["data"], snapshot["sequence"]) == ("snapshot", [], 1)
    txid = await market_buy(rest, cl_ord_id="my-1")
    messages = await executions(private_ws, 4)
    assert [m["sequence"] for m in messages] == [2, 3, 4, 5]
    assert [m["type"] for m in messages] == ["update"] * 4
    entries = [m["data"][0] for m in messages]
    assert [e["exec_type"] for e in entries] == ["pending_new", "new", "trade", "filled"]
    assert {e["order_id"] for e in entries} == {txid}
    assert {e["cl_ord_id"] for e in entries} == {"my-1"}
    pending, _, trade, filled = entries
    assert (pending["symbol"], pending["side"], pending["order_type"], pending["order_qty"]) == (
        "BTC/USD",
        "buy",
        "market",
        Decimal("0.25"),
    )
    assert pending["order_status"] == "pending_new"
    assert (trade["last_qty"], trade["last_price"], trade["liquidity_ind"]) == (
        Decimal("0.25"),
        Decimal("30000.0"),
        "t",
    )
    assert (trade["cum_qty"], trade["cum_cost"], trade["avg_price"]) == (
        Decimal("0.25"),
        Decimal("7500.0"),
        Decimal("30000.0"),
    )
    assert trade["fees"] == [{"asset": "USD", "qty": Decimal("19.5")}]
    assert filled["order_status"] == "filled"
    history = await rest.result("TradesHistory")
    assert list(history["trades"]) == [trade["exec_id"]]
    assert history["trades"][trade["exec_id"]]["trade_id"] == trade["trade_id"]


async def test_a_partial_maker_fill_then_a_cancel(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    txid = (
        await rest.result(
            "AddOrder", pair="XBTUSD", type="sell", ordertype="limit", price="31000.0", volume="0.5"
        )
    )["txid"][0]
    await executions(private_ws, 2)
    sim.market.trade("BTC/USD", "buy", Decimal("31000.0"), Decimal("0.2"))
    (trade,) = (await executions(private_ws, 1))[0]["data"]
    assert (trade["liquidity_ind"], trade["order_status"], trade["cum_qty"]) == (
        "m",
        "partially_filled",
        Decimal("0.2"),
    )
    await rest.result("CancelOrder", txid=txid)
    (canceled,) = (await executions(private_ws, 1))[0]["data"]
    assert (canceled["exec_type"], canceled["order_status"], canceled["reason"]) == (
        "canceled",
        "canceled",
        "User requested",
    )
    assert canceled["cum_qty"] == Decimal("0.2")


async def test_without_order_status_the_pending_new_event_is_left_out(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    offer(sim)
    await subscribe_executions(private_ws, rest, snap_orders=False, order_status=False)
    await market_buy(rest)
    assert [m["data"][0]["exec_type"] for m in await executions(private_ws, 3)] == ["new", "trade", "filled"]


async def test_the_snapshot_holds_open_orders_and_on_request_the_last_trades(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    offer(sim)
    filled = await market_buy(rest)
    resting = (
        await rest.result(
            "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", price="1000.0", volume="0.1"
        )
    )["txid"][0]
    await subscribe_executions(private_ws, rest, snap_orders=True, snap_trades=True)
    snapshot = (await executions(private_ws, 1))[0]
    assert (snapshot["type"], snapshot["sequence"]) == ("snapshot", 1)
    trade, order = snapshot["data"]
    assert (trade["exec_type"], trade["order_id"]) == ("trade", filled)
    assert (order["exec_type"], order["order_id"], order["order_status"]) == ("new", resting, "new")
    assert (order["limit_price"], order["order_qty"]) == (Decimal("1000.0"), Decimal("0.1"))


async def test_the_trades_snapshot_is_the_last_fifty(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    offer(sim, qty="10")
    for _ in range(52):
        await market_buy(rest, volume="0.001")
    await subscribe_executions(private_ws, rest, snap_orders=False, snap_trades=True)
    data = (await executions(private_ws, 1))[0]["data"]
    assert [t["exec_id"] for t in data] == [t.exec_id for t in sim.truth().executions[-50:]]


async def test_no_snapshot_when_neither_orders_nor_trades_are_asked_for(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False, snap_trades=False)
    assert await private_ws.quiet(0.3) == []


async def test_fills_while_disconnected_are_not_replayed(sim: KrakenSimulator, rest: Rest) -> None:
    offer(sim)
    first = await open_ws(sim.ws_auth_url)
    await subscribe_executions(first, rest)
    await first.connection.close()
    await market_buy(rest)
    await market_buy(rest)
    again = await open_ws(sim.ws_auth_url)
    await subscribe_executions(again, rest, snap_orders=True, snap_trades=False)
    snapshot = (await executions(again, 1))[0]
    assert snapshot["data"] == []  # the fills are gone from the stream: REST TradesHistory has them
    assert await again.quiet(0.3) == []
    assert (await rest.result("TradesHistory"))["count"] == 2
    await again.connection.close()


async def test_sequences_restart_on_resubscription(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    offer(sim)
    await subscribe_executions(private_ws, rest, snap_orders=False)
    await market_buy(rest)
    assert (await executions(private_ws, 4))[-1]["sequence"] == 4
    await private_ws.send(
        {"method": "unsubscribe", "params": {"channel": "executions", "token": await rest.token()}}
    )
    await private_ws.until(lambda m: m.get("method") == "unsubscribe")
    await subscribe_executions(private_ws, rest, snap_orders=True)
    assert (await executions(private_ws, 1))[0]["sequence"] == 1


async def test_other_accounts_do_not_see_each_others_executions(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    secret = SECRET.replace("c", "d")
    sim.add_account("other", "other-key", secret, {"USD": 100000})
    other_rest = Rest(rest.session, sim.rest_url, "other-key", secret)
    offer(sim)
    await subscribe_executions(private_ws, rest, snap_orders=False)
    await market_buy(other_rest)
    assert await private_ws.quiet(0.3) == []


# --- balances ------------------------------------------------------------------------------------------


async def test_balances_snapshot_then_one_update_per_ledger_entry(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    offer(sim)
    ack = await private_ws.subscribe({"channel": "balances", "token": await rest.token()})
    assert ack["result"] == {"channel": "balances", "snapshot": True}
    snapshot = (await private_ws.collect("balances", 1))[0]
    assert (snapshot["type"], snapshot["sequence"]) == ("snapshot", 1)
    usd = next(entry for entry in snapshot["data"] if entry["asset"] == "USD")
    assert usd == {
        "asset": "USD",
        "asset_class": "currency",
        "balance": Decimal("100000.0"),
        "wallets": [{"type": "spot", "id": "main", "balance": Decimal("100000.0")}],
    }
    await market_buy(rest)
    base, quote = await private_ws.collect("balances", 2)
    assert (base["sequence"], quote["sequence"]) == (2, 3)
    (btc,), (usd_update,) = base["data"], quote["data"]
    assert (btc["asset"], btc["amount"], btc["balance"], btc["type"]) == (
        "BTC",
        Decimal("0.25"),
        Decimal("2.25"),
        "trade",
    )
    assert (usd_update["amount"], usd_update["fee"], usd_update["balance"]) == (
        Decimal("-7500.0"),
        Decimal("19.5"),
        Decimal("92480.5"),
    )
    exec_id = sim.truth().executions[0].exec_id
    assert btc["ref_id"] == usd_update["ref_id"] == exec_id


async def test_a_deposit_is_a_balances_update(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    await private_ws.subscribe({"channel": "balances", "token": await rest.token(), "snapshot": False})
    sim.deposit("DOGE", 50)
    (update,) = await private_ws.collect("balances", 1)
    assert update["sequence"] == 1
    assert (update["data"][0]["type"], update["data"][0]["amount"]) == ("deposit", Decimal("50.0"))


# --- trading over the socket ---------------------------------------------------------------------------


async def test_add_order_over_the_socket_acks_the_order_id(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    token = await rest.token()
    params = {
        "order_type": "limit",
        "side": "buy",
        "limit_price": Decimal("26500.4"),
        "order_userref": 100054,
        "order_qty": Decimal("1.2"),
        "symbol": "BTC/USD",
        "token": token,
    }
    req_id = await private_ws.send({"method": "add_order", "params": params, "req_id": 123456789})
    ack = await private_ws.until(lambda m: m.get("method") == "add_order")
    assert ack["req_id"] == req_id
    assert ack["success"] is True
    assert ack["result"]["order_userref"] == 100054
    assert ack["result"]["order_id"] in sim.truth().orders


async def test_add_order_over_the_socket_reports_insufficient_funds(private_ws: Ws, rest: Rest) -> None:
    params = {
        "order_type": "market",
        "side": "sell",
        "order_qty": 500,
        "symbol": "BTC/USD",
        "token": await rest.token(),
    }
    await private_ws.send({"method": "add_order", "params": params, "req_id": 99})
    ack = await private_ws.until(lambda m: m.get("method") == "add_order")
    assert (ack["success"], ack["error"], ack["req_id"]) == (False, "EOrder:Insufficient funds", 99)


async def test_cancel_order_over_the_socket_answers_per_order(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    txids = []
    for _ in range(2):
        result = await rest.result(
            "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", price="1000.0", volume="0.1"
        )
        txids.append(result["txid"][0])
    await private_ws.send(
        {"method": "cancel_order", "params": {"order_id": txids, "token": await rest.token()}}
    )
    acks = [await private_ws.until(lambda m: m.get("method") == "cancel_order") for _ in range(2)]
    assert [a["result"]["order_id"] for a in acks] == txids
    assert sim.truth().open_orders == []


async def test_cancel_all_orders_after_over_the_socket(private_ws: Ws, rest: Rest) -> None:
    await private_ws.send(
        {"method": "cancel_all_orders_after", "params": {"timeout": 60, "token": await rest.token()}}
    )
    ack = await private_ws.until(lambda m: m.get("method") == "cancel_all_orders_after")
    assert ack["success"] is True
    assert set(ack["result"]) == {"currentTime", "triggerTime"}


async def test_trading_methods_need_a_valid_token(private_ws: Ws) -> None:
    await private_ws.send({"method": "cancel_all", "params": {"token": "nope"}})
    ack = await private_ws.until(lambda m: m.get("method") == "cancel_all")
    assert (ack["success"], ack["error"]) == (False, "ESession:Invalid session")


async def test_many_orders_keep_sequence_contiguous(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    offer(sim, qty="10")
    await subscribe_executions(private_ws, rest, snap_orders=False)
    await asyncio.gather(*(market_buy(rest, volume="0.001") for _ in range(20)))
    messages = await executions(private_ws, 80)
    assert [m["sequence"] for m in messages] == list(range(1, 81))
    exec_ids = [m["data"][0]["exec_id"] for m in messages if m["data"][0]["exec_type"] == "trade"]
    assert sorted(exec_ids) == sorted(sim.truth().exec_ids)


async def test_the_authenticated_endpoint_also_answers_at_auth_v2(sim: KrakenSimulator, rest: Rest) -> None:
    """For clients that append `/v2` to a base URL, as python-kraken-sdk does with `ws://host:port/auth`."""
    ws = await open_ws(sim.ws_auth_url.replace("/v2-auth", "/auth/v2"))
    await subscribe_executions(ws, rest)
    await ws.connection.close()


async def test_a_good_till_date_order_streams_expired(
    manual: tuple[KrakenSimulator, ManualClock, Rest],
) -> None:
    sim, clock, rest = manual
    ws = await open_ws(sim.ws_auth_url)
    await subscribe_executions(ws, rest, snap_orders=False)
    await rest.result(
        "AddOrder",
        pair="XBTUSD",
        type="buy",
        ordertype="limit",
        price="1000.0",
        volume="0.1",
        timeinforce="GTD",
        expiretm="+30",
    )
    pending, _ = await executions(ws, 2)
    assert (pending["data"][0]["time_in_force"], pending["data"][0]["expire_time"]) == (
        "GTD",
        "2024-05-01T00:00:30.000000Z",
    )
    clock.advance(31)
    (expired,) = (await executions(ws, 1))[0]["data"]
    assert (expired["exec_type"], expired["order_status"], expired["reason"]) == (
        "expired",
        "expired",
        "Order expired",
    )
    await ws.connection.close()

"""Each chaos hook does what it says, as a client sees it; and the truth API reports what really happened."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
from kraken_sim_clients import Message, Rest, Ws, open_ws, subscribe_executions
from websockets.exceptions import ConnectionClosed, InvalidStatus

from galfriday.adapters.kraken.checksum import book_checksum
from galfriday.domain.executions import Liquidity
from galfriday.testing.kraken_simulator import KrakenSimulator


async def fills(sim: KrakenSimulator, rest: Rest, orders: int) -> None:
    """`orders` market buys, each streaming pending_new, new, trade and filled."""
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("10"))
    for _ in range(orders):
        await rest.result("AddOrder", pair="XBTUSD", type="buy", ordertype="market", volume="0.001")


async def sequences(ws: Ws, count: int) -> list[int]:
    return [m["sequence"] for m in await ws.collect("executions", count)]


async def test_dropped_connections_close_abnormally_with_1006(sim: KrakenSimulator, public_ws: Ws) -> None:
    assert sim.chaos.drop_connections() == 1
    with pytest.raises(ConnectionClosed) as closed:
        await public_ws.recv()
    assert closed.value.rcvd is None  # no close frame
    assert public_ws.connection.close_code == 1006


async def test_dropping_only_private_connections_spares_public_ones(
    sim: KrakenSimulator, public_ws: Ws, private_ws: Ws
) -> None:
    assert sim.chaos.drop_connections("private") == 1
    with pytest.raises(ConnectionClosed):
        await private_ws.recv()
    await public_ws.send({"method": "ping"})
    assert (await public_ws.recv())["method"] == "pong"


async def test_a_silent_connection_stays_open_but_sends_nothing(sim: KrakenSimulator, public_ws: Ws) -> None:
    await public_ws.subscribe({"channel": "instrument"})
    await public_ws.until(lambda m: m.get("channel") == "instrument")
    sim.chaos.go_silent(1.5)
    await public_ws.send({"method": "ping", "req_id": 5})
    with pytest.raises(TimeoutError):
        await public_ws.recv(1.2)  # no pong, no heartbeat
    assert public_ws.connection.close_code is None
    await public_ws.until(lambda m: m == {"channel": "heartbeat"}, 2.0)


async def test_a_connection_opened_during_a_silence_works(sim: KrakenSimulator, public_ws: Ws) -> None:
    sim.chaos.go_silent(5)
    fresh = await open_ws(sim.ws_url)
    await fresh.send({"method": "ping"})
    assert (await fresh.recv())["method"] == "pong"
    await fresh.connection.close()


async def test_duplicated_execution_frames_repeat_their_sequence(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    sim.chaos.duplicate_next(2)
    await fills(sim, rest, 1)
    assert await sequences(private_ws, 6) == [1, 1, 2, 2, 3, 4]


async def test_dropped_execution_frames_leave_a_sequence_gap(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    sim.chaos.drop_next(1)
    await fills(sim, rest, 1)
    assert await sequences(private_ws, 3) == [2, 3, 4]


async def test_a_reordered_window_arrives_reversed(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    sim.chaos.reorder_next(3)
    await fills(sim, rest, 2)
    assert await sequences(private_ws, 8) == [3, 2, 1, 4, 5, 6, 7, 8]


async def test_a_reorder_window_left_unfilled_is_flushed(
    sim: KrakenSimulator, private_ws: Ws, rest: Rest
) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    sim.chaos.reorder_next(10)
    await fills(sim, rest, 1)
    assert await sequences(private_ws, 4) == [4, 3, 2, 1]


async def test_other_channels_can_be_faulted(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    await private_ws.subscribe({"channel": "balances", "token": await rest.token(), "snapshot": False})
    sim.chaos.drop_next(1, channel="balances")
    await fills(sim, rest, 1)
    assert [m["sequence"] for m in await private_ws.collect("balances", 1)] == [2]


async def test_a_malformed_frame_is_not_json(sim: KrakenSimulator, public_ws: Ws) -> None:
    assert sim.chaos.inject_malformed() == 1
    raw = await public_ws.connection.recv()
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    await public_ws.send({"method": "ping"})
    assert (await public_ws.recv())["method"] == "pong"


async def test_refused_connections_fail_the_handshake_then_recover(sim: KrakenSimulator) -> None:
    sim.chaos.refuse_connections(0.5)
    with pytest.raises(InvalidStatus) as refused:
        await open_ws(sim.ws_url)
    assert refused.value.response.status_code == 503
    await asyncio.sleep(0.6)
    ws = await open_ws(sim.ws_url)
    await ws.connection.close()


async def test_a_corrupted_checksum_fails_once_and_the_book_stays_right(
    sim: KrakenSimulator, public_ws: Ws
) -> None:
    sim.market.seed_book("BTC/USD", levels=10)
    await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    snapshot = await public_ws.until(lambda m: m.get("channel") == "book")
    book = {"bids": _levels(snapshot, "bids"), "asks": _levels(snapshot, "asks")}
    sim.chaos.corrupt_next_checksum()
    for price in ("29995.5", "29994.5"):
        sim.market.add_liquidity("BTC/USD", "buy", Decimal(price), Decimal("1"))
    results = []
    for _ in range(2):
        update = await public_ws.until(lambda m: m.get("channel") == "book")
        book["bids"].update(_levels(update, "bids"))
        book["bids"] = dict(sorted(book["bids"].items(), reverse=True)[:10])
        expected = book_checksum(book["asks"].items(), book["bids"].items(), 1, 8)
        results.append(expected == update["data"][0]["checksum"])
    assert results == [False, True]


def _levels(message: Message, side: str) -> dict[Decimal, Decimal]:
    return {level["price"]: level["qty"] for level in message["data"][0][side]}


async def test_rest_failures_answer_the_given_error_then_stop(sim: KrakenSimulator, rest: Rest) -> None:
    sim.chaos.fail_rest("EService:Unavailable", count=2, method="Balance")
    assert (await rest.private("OpenOrders"))["error"] == []
    assert (await rest.private("Balance"))["error"] == ["EService:Unavailable"]
    assert (await rest.private("Balance"))["error"] == ["EService:Unavailable"]
    assert (await rest.private("Balance"))["error"] == []


async def test_a_rest_failure_can_be_an_http_error(sim: KrakenSimulator, rest: Rest) -> None:
    sim.chaos.fail_rest("EGeneral:Internal error", status=502)
    status, payload = await rest.raw_private("Balance", {})
    assert (status, payload) == (502, {"error": ["EGeneral:Internal error"]})


async def test_rest_rate_limiting_can_be_forced(sim: KrakenSimulator, rest: Rest) -> None:
    sim.chaos.rate_limit_rest()
    assert (await rest.public("Time"))["error"] == ["EAPI:Rate limit exceeded"]
    assert (await rest.public("Time"))["error"] == []


async def test_reset_disarms_every_fault(sim: KrakenSimulator, private_ws: Ws, rest: Rest) -> None:
    await subscribe_executions(private_ws, rest, snap_orders=False)
    sim.chaos.drop_next(5)
    sim.chaos.fail_rest(count=5)
    sim.chaos.reset()
    await fills(sim, rest, 1)
    assert await sequences(private_ws, 4) == [1, 2, 3, 4]


# --- truth ---------------------------------------------------------------------------------------------


async def test_the_truth_holds_every_order_execution_and_balance(sim: KrakenSimulator, rest: Rest) -> None:
    await fills(sim, rest, 3)
    resting = (
        await rest.result(
            "AddOrder", pair="XBTUSD", type="buy", ordertype="limit", price="1000.0", volume="1"
        )
    )["txid"][0]
    truth = sim.truth()
    assert len(truth.orders) == 4
    assert [o.txid for o in truth.open_orders] == [resting]
    assert len(truth.executions) == 3
    history = await rest.result("TradesHistory")
    assert truth.exec_ids == set(history["trades"])
    assert truth.balances["BTC"] == Decimal("2.003")
    assert truth.held["USD"] == Decimal("1002.6")
    execution = truth.domain_executions()[0]
    assert (execution.symbol, execution.liquidity, execution.fee_currency) == (
        "BTC/USD",
        Liquidity.TAKER,
        "USD",
    )
    usd = truth.domain_balances()["USD"]
    assert usd.total - usd.available == Decimal("1002.6")


async def test_executions_missed_by_a_client_are_in_the_truth(sim: KrakenSimulator, rest: Rest) -> None:
    ws = await open_ws(sim.ws_auth_url)
    await subscribe_executions(ws, rest, snap_orders=False)
    sim.chaos.drop_connections()
    await fills(sim, rest, 2)
    assert len(sim.truth().executions) == 2

"""WebSocket v2 protocol: status on connect, ping, acks with req_id and time_in/time_out, errors, heartbeats."""

from __future__ import annotations

import asyncio
import re

from kraken_sim_clients import Ws, open_ws
from websockets.asyncio.client import connect

from galfriday.testing.kraken_simulator import KrakenSimulator

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


async def test_a_connection_starts_with_a_status_message(sim: KrakenSimulator) -> None:
    async with connect(sim.ws_url) as connection:
        ws = Ws(connection)
        status = await ws.recv()
    assert status["channel"] == "status"
    assert status["type"] == "update"
    (data,) = status["data"]
    assert (data["api_version"], data["system"]) == ("v2", "online")
    assert isinstance(data["connection_id"], int)
    assert data["connection_id"] > 2**63


async def test_the_authenticated_endpoint_greets_the_same_way(sim: KrakenSimulator) -> None:
    ws = await open_ws(sim.ws_auth_url)
    await ws.connection.close()


async def test_a_status_change_is_announced_to_every_connection(sim: KrakenSimulator, public_ws: Ws) -> None:
    sim.set_system_status("maintenance")
    message = await public_ws.until(lambda m: m.get("channel") == "status")
    assert message["data"][0]["system"] == "maintenance"


async def test_ping_answers_pong_with_the_req_id_and_times(public_ws: Ws) -> None:
    await public_ws.send({"method": "ping", "req_id": 101})
    pong = await public_ws.recv()
    assert set(pong) == {"method", "req_id", "time_in", "time_out"}
    assert (pong["method"], pong["req_id"]) == ("pong", 101)
    assert RFC3339.fullmatch(pong["time_in"])
    assert RFC3339.fullmatch(pong["time_out"])


async def test_a_subscribe_ack_echoes_the_effective_params(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "req_id": 7})
    assert ack["method"] == "subscribe"
    assert ack["success"] is True
    assert ack["result"] == {"channel": "book", "depth": 10, "snapshot": True, "symbol": "BTC/USD"}
    assert RFC3339.fullmatch(ack["time_in"])


async def test_each_symbol_gets_its_own_ack(public_ws: Ws) -> None:
    req_id = await public_ws.send(
        {"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]}}
    )
    acks = [await public_ws.until(lambda m: m.get("method") == "subscribe") for _ in range(2)]
    assert {a["result"]["symbol"] for a in acks} == {"BTC/USD", "ETH/USD"}
    assert {a["req_id"] for a in acks} == {req_id}


async def test_v1_pair_names_are_not_v2_symbols(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "book", "symbol": ["XBT/USD"]})
    assert (ack["success"], ack["error"], ack["symbol"]) == (
        False,
        "Currency pair not supported XBT/USD",
        "XBT/USD",
    )


async def test_an_unsupported_depth_is_refused(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 7})
    assert (ack["success"], ack["error"]) == (False, "Subscription depth not supported")


async def test_subscribing_twice_is_already_subscribed(public_ws: Ws) -> None:
    await public_ws.subscribe({"channel": "trade", "symbol": ["BTC/USD"]})
    ack = await public_ws.subscribe({"channel": "trade", "symbol": ["BTC/USD"]})
    assert (ack["success"], ack["error"]) == (False, "Already subscribed")


async def test_unsubscribe_acks_per_symbol(public_ws: Ws) -> None:
    await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"], "depth": 25})
    req_id = await public_ws.send(
        {"method": "unsubscribe", "params": {"channel": "book", "symbol": ["BTC/USD"]}}
    )
    ack = await public_ws.until(lambda m: m.get("method") == "unsubscribe")
    assert ack["req_id"] == req_id
    assert ack["result"] == {"channel": "book", "symbol": "BTC/USD", "depth": 25}


async def test_unsubscribing_nothing_is_subscription_not_found_echoing_subscribe(public_ws: Ws) -> None:
    req_id = await public_ws.send(
        {"method": "unsubscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD"]}}
    )
    error = await public_ws.until(lambda m: m.get("req_id") == req_id)
    assert error["method"] == "subscribe"  # as Kraken answers it
    assert (error["success"], error["error"], error["symbol"]) == (False, "Subscription Not Found", "BTC/USD")


async def test_a_frame_that_is_not_json_is_a_malformed_request(public_ws: Ws) -> None:
    await public_ws.connection.send("{nope")
    error = await public_ws.recv()
    assert (error["success"], error["error"]) == (False, "Malformed request")


async def test_an_unknown_method_is_refused(public_ws: Ws) -> None:
    req_id = await public_ws.send({"method": "dance"})
    error = await public_ws.recv()
    assert (error["req_id"], error["success"], error["error"]) == (req_id, False, "Method not supported")


async def test_trading_methods_need_the_authenticated_endpoint(public_ws: Ws) -> None:
    await public_ws.send({"method": "add_order", "params": {}})
    assert (await public_ws.recv())["error"] == "Method not supported"


async def test_an_unknown_channel_is_refused(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "weather"})
    assert (ack["success"], ack["error"]) == (False, "Channel weather not found")


async def test_heartbeats_come_once_a_second_while_subscribed(public_ws: Ws) -> None:
    await public_ws.subscribe({"channel": "instrument"})
    start = asyncio.get_running_loop().time()
    beats = [await public_ws.until(lambda m: m == {"channel": "heartbeat"}, 2.0) for _ in range(3)]
    elapsed = asyncio.get_running_loop().time() - start
    assert len(beats) == 3
    assert 1.8 < elapsed < 4.0


async def test_no_heartbeats_without_a_subscription(public_ws: Ws) -> None:
    assert await public_ws.quiet(1.5) == []


async def test_an_idle_connection_without_subscriptions_is_closed() -> None:
    sim = KrakenSimulator(idle_timeout=0.5)
    await sim.start()
    try:
        ws = await open_ws(sim.ws_url)
        await asyncio.wait_for(ws.connection.wait_closed(), 3)
    finally:
        await sim.close()

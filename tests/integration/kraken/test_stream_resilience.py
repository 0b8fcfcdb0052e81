"""KrakenStream against a misbehaving simulator: dropped, silent and refused connections, malformed frames.
It reconnects, resubscribes with fresh snapshots, asks for recovery, and never crashes."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from kraken_stream_harness import (
    FAST,
    Collected,
    CountingTokens,
    fill_market_buy,
    private_stream,
    rest,
    sim,
)
from websockets.asyncio.server import ServerConnection, serve

from galfriday.adapters.kraken.pipeline import KrakenPipeline, PipelineOutput
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    ExecutionReported,
    StreamRecoveryNeeded,
    StreamStatusChanged,
)
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["rest", "sim"]


async def test_a_dropped_private_connection_reconnects_resubscribes_and_asks_for_recovery(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    tokens = CountingTokens(rest)
    async with private_stream(sim, tokens) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        last_before = await collected.first(ExecutionReported)
        await asyncio.sleep(0.1)
        snapshots_before = len([e for e in collected.of(BalanceReported) if e.snapshot])
        sim.chaos.drop_connections("private")
        recovery = await collected.first(StreamRecoveryNeeded)
        assert recovery.reason == "reconnect"
        assert recovery.exchange == "kraken"
        assert recovery.reconnects == 1
        assert recovery.since is not None
        assert recovery.since >= last_before.execution.timestamp
        assert len(tokens.issued) == 2
        assert len([e for e in collected.of(BalanceReported) if e.snapshot]) == 2 * snapshots_before
        assert stream.health().healthy
        assert stream.health().reconnects == 1
        await collected.stop()


async def test_fills_during_a_disconnection_are_not_counted_twice_after_it(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        await collected.first(ExecutionReported)
        sim.chaos.refuse_connections(0.3)
        sim.chaos.drop_connections("private")
        await fill_market_buy(sim, rest)  # while the stream is away: arrives in the trade snapshot
        await collected.first(StreamRecoveryNeeded, within=5)
        await collected.until(lambda events: sum(isinstance(e, ExecutionReported) for e in events) >= 2)
        assert collected.fill_counts() == Counter(sim.truth().exec_ids)  # every fill, each once
        assert stream.counters.connection_failures >= 1
        await collected.stop()


async def test_a_silent_connection_is_dropped_within_the_deadline_and_replaced(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        silenced_at = time.monotonic()
        sim.chaos.go_silent(30, "private")
        down = await collected.first(StreamStatusChanged, lambda e: not e.healthy, within=5)
        detected_after = time.monotonic() - silenced_at
        assert down.reason == "private connection down"
        assert FAST.silence_timeout <= detected_after < FAST.silence_timeout + 1.0
        await collected.first(StreamRecoveryNeeded, within=5)
        assert stream.counters.silent_disconnects == 1
        assert stream.health().healthy
        await collected.stop()


async def test_a_silent_public_connection_is_dropped_and_replaced(sim: KrakenSimulator) -> None:
    stream = KrakenStream(sim.ws_url, settings=FAST)
    async with stream:
        collected = Collected(stream)
        await stream.subscribe(["BTC/USD"], [MarketChannel.TICKER])
        await stream.wait_healthy(5)
        sim.chaos.go_silent(30, "public")
        await collected.first(StreamStatusChanged, lambda e: not e.healthy, within=3)
        await stream.wait_healthy(5)
        assert stream.counters.silent_disconnects == 1
        await collected.stop()


PINGS: list[int] = []


async def answer_pings_only(ws: ServerConnection) -> None:
    """A zombie Kraken: greets, acks, answers every ping, and never sends a channel message again."""
    await ws.send(json.dumps({"channel": "status", "type": "update", "data": [{"system": "online"}]}))
    async for text in ws:
        request = json.loads(text)
        if request["method"] == "ping":
            PINGS.append(request["req_id"])
            await ws.send(json.dumps({"method": "pong", "req_id": request["req_id"]}))
        else:
            for symbol in request["params"].get("symbol", [None]):
                result = {"channel": request["params"]["channel"], "symbol": symbol}
                await ws.send(
                    json.dumps(
                        {
                            "method": request["method"],
                            "req_id": request["req_id"],
                            "success": True,
                            "result": result,
                        }
                    )
                )


async def test_pongs_alone_do_not_keep_a_quiet_connection_alive() -> None:
    settings = attrs.evolve(FAST, ping_interval=0.1)
    async with serve(answer_pings_only, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with KrakenStream(f"ws://127.0.0.1:{port}", settings=settings) as stream:
            collected = Collected(stream)
            await stream.subscribe(["BTC/USD"], [MarketChannel.TICKER])
            await stream.wait_healthy(2)
            await collected.first(StreamStatusChanged, lambda e: not e.healthy, within=3)
            assert stream.counters.silent_disconnects == 1
            assert len(PINGS) >= 5  # answered every 0.1 s, and still not counted as life
            await collected.stop()


async def test_a_malformed_frame_is_counted_and_the_stream_goes_on(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        assert sim.chaos.inject_malformed() == 1
        sim.chaos.inject_malformed('{"channel": "executions", "type": "update", "data": 7, "sequence": 2}')
        sim.chaos.inject_malformed("\x00\xff not json at all")
        await fill_market_buy(sim, rest)
        await collected.first(ExecutionReported)
        assert stream.counters.rejected_frames == 3
        assert stream.health().healthy
        await collected.stop()


async def test_an_unreadable_executions_frame_asks_for_a_backfill_since_the_last_private_message(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        last_before = await collected.first(ExecutionReported)
        await asyncio.sleep(0.1)
        sim.chaos.garble_next(1)
        await fill_market_buy(sim, rest)
        recovery = await collected.first(StreamRecoveryNeeded, within=5)
        assert recovery.reason == "rejected"
        assert recovery.since is not None
        assert recovery.since >= last_before.execution.timestamp
        assert stream.counters.rejected_frames == 1
        assert stream.health().healthy
        await collected.stop()


async def test_a_private_frame_too_broken_to_name_its_channel_asks_for_a_backfill(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        assert sim.chaos.inject_malformed(endpoint="private") == 1
        recovery = await collected.first(StreamRecoveryNeeded, within=5)
        assert recovery.reason == "rejected"
        await collected.stop()


async def test_refused_handshakes_are_retried_with_backoff_until_kraken_is_back(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    sim.chaos.refuse_connections(0.5)
    async with private_stream(sim, rest) as stream:
        await stream.wait_healthy(5)
        assert 2 <= stream.counters.connection_failures <= 20
        assert stream.counters.reconnects == 0


async def test_both_connections_come_back_after_a_drop_of_everything(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest, pair_source=rest) as stream:
        collected = Collected(stream)
        await stream.subscribe(["BTC/USD"], [MarketChannel.BOOK, MarketChannel.TRADE])
        await stream.wait_healthy(5)
        sim.chaos.drop_connections()
        await collected.first(StreamRecoveryNeeded)
        await stream.wait_healthy(5)
        assert len([e for e in collected.of(BookReported) if e.update.is_snapshot]) == 2
        assert stream.health().reconnects == 2
        await collected.stop()


class FailsOnce(KrakenPipeline):
    """A pipeline with a bug that shows on one frame: the stream must survive it."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def feed(self, frame: bytes | str, received_at: datetime) -> list[PipelineOutput]:
        if not self.failed and "boom" in frame:
            self.failed = True
            raise RuntimeError("a bug in processing")
        return super().feed(frame, received_at)


async def test_an_internal_error_drops_the_connection_and_the_stream_goes_on(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest, pipeline=FailsOnce()) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        sim.chaos.inject_malformed("boom", "private")
        await collected.first(StreamRecoveryNeeded)
        assert stream.counters.internal_errors == 1
        await fill_market_buy(sim, rest)
        await collected.first(ExecutionReported)
        await collected.stop()


async def test_an_ack_without_its_snapshot_replaces_the_connection(sim: KrakenSimulator) -> None:
    """Kraken acked, then never sent the book (heartbeats go on): after the request timeout, a new
    connection subscribes afresh and gets its snapshot."""
    settings = attrs.evolve(FAST, request_timeout=0.5)
    async with KrakenStream(sim.ws_url, settings=settings) as stream:
        collected = Collected(stream)
        sim.chaos.drop_next(1, channel="book")
        await stream.subscribe(["BTC/USD"], [MarketChannel.BOOK])
        assert stream.health().reason == "book BTC/USD awaiting snapshot"
        await stream.wait_healthy(5)
        assert stream.counters.missing_snapshots == 1
        assert stream.counters.reconnects == 1
        assert stream.counters.silent_disconnects == 0
        assert len([e for e in collected.of(BookReported) if e.update.is_snapshot]) == 1
        await collected.stop()


RECORDED_BOOK = Path(__file__).resolve().parents[2] / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"
RECORDED_SNAPSHOT = json.loads(RECORDED_BOOK.read_text())["init"]


def already_subscribed_once() -> Callable[[ServerConnection], Awaitable[None]]:
    """A Kraken that, on the first connection only, answers the book subscribe with `Already subscribed`."""
    connections: list[ServerConnection] = []

    async def handler(ws: ServerConnection) -> None:
        connections.append(ws)
        first = len(connections) == 1
        await ws.send(json.dumps({"channel": "status", "type": "update", "data": [{"system": "online"}]}))
        beating = asyncio.get_running_loop().create_task(heartbeats(ws))
        try:
            async for text in ws:
                request = json.loads(text)
                params = request.get("params", {})
                for symbol in params.get("symbol", [None]):
                    reply: dict[str, Any] = {"method": request["method"], "req_id": request["req_id"]}
                    if first and params.get("channel") == "book":
                        reply |= {"success": False, "error": "Already subscribed", "symbol": symbol}
                    else:
                        reply |= {
                            "success": True,
                            "result": {"channel": params.get("channel"), "symbol": symbol},
                        }
                    await ws.send(json.dumps(reply))
                    if not first and params.get("channel") == "book":
                        await ws.send(json.dumps(RECORDED_SNAPSHOT))
        finally:
            beating.cancel()

    return handler


async def heartbeats(ws: ServerConnection) -> None:
    while True:
        await asyncio.sleep(0.1)
        await ws.send('{"channel": "heartbeat"}')


async def test_already_subscribed_without_a_snapshot_heals_with_a_fresh_connection() -> None:
    settings = attrs.evolve(FAST, request_timeout=0.5)
    async with serve(already_subscribed_once(), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        pairs = [TradingPair("BTC/USD", 1, 8)]
        async with KrakenStream(f"ws://127.0.0.1:{port}", pairs=pairs, settings=settings) as stream:
            await stream.subscribe(["BTC/USD"], [MarketChannel.BOOK])  # no refusal raised: it is subscribed
            assert stream.health().reason == "book BTC/USD awaiting snapshot"
            await stream.wait_healthy(5)
            assert stream.counters.missing_snapshots == 1
            assert stream.book("BTC/USD") is not None

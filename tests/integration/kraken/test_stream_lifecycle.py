"""KrakenStream's health, its transitions as events, the journal hook and a clean close."""

from __future__ import annotations

import asyncio
from datetime import datetime

from kraken_stream_harness import FAST, Collected, fill_market_buy, private_stream, rest, sim

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.domain.events import ExecutionReported, StreamStatusChanged
from galfriday.domain.market_data import MarketChannel
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["rest", "sim"]


async def test_a_stream_not_started_is_unhealthy(sim: KrakenSimulator, rest: KrakenRestClient) -> None:
    health = private_stream(sim, rest).health()
    assert not health.healthy
    assert health.reason == "not started"
    assert health.last_message_at is None


async def test_health_needs_the_private_snapshots_and_reports_each_transition(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        assert stream.health().last_message_at is not None
        sim.chaos.drop_connections()
        await collected.first(StreamStatusChanged, lambda e: not e.healthy)
        await stream.wait_healthy(5)
        await asyncio.sleep(0.05)
        changes = [(e.healthy, e.reason) for e in collected.of(StreamStatusChanged)]
        assert changes == [(True, "healthy"), (False, "private connection down"), (True, "healthy")]
        await collected.stop()


async def test_maintenance_makes_the_stream_unhealthy_until_kraken_is_online(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        sim.set_system_status("maintenance")
        down = await collected.first(StreamStatusChanged, lambda e: not e.healthy)
        assert down.reason == "Kraken system maintenance"
        sim.set_system_status("online")
        await stream.wait_healthy(5)
        await collected.stop()


async def test_a_public_only_stream_is_healthy_once_its_market_data_is_subscribed(
    sim: KrakenSimulator,
) -> None:
    async with KrakenStream(sim.ws_url, settings=FAST) as stream:
        assert stream.health().reason == "nothing to stream"
        await stream.subscribe(["BTC/USD"], [MarketChannel.BOOK])
        await stream.wait_healthy(5)


async def test_close_ends_the_events_and_the_connections(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    stream = private_stream(sim, rest)
    await stream.start()
    collected = Collected(stream)
    await stream.subscribe(["BTC/USD"], [MarketChannel.TICKER])
    await stream.wait_healthy(5)
    await stream.close()
    await asyncio.wait_for(collected.ended.wait(), 2)
    assert collected.events[-1] == StreamStatusChanged(False, "closed", collected.events[-1].occurred_at)
    assert stream.health().reason == "closed"
    await asyncio.sleep(0.1)
    assert sim.ws.connections == []
    await stream.close()  # twice is harmless


async def test_events_already_queued_are_delivered_before_the_end(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    stream = private_stream(sim, rest)
    await stream.start()
    await stream.wait_healthy(5)
    await fill_market_buy(sim, rest)
    await asyncio.sleep(0.3)
    await stream.close()
    events = [event async for event in stream.events()]
    assert [e.execution.exec_id for e in events if isinstance(e, ExecutionReported)] == list(
        sim.truth().exec_ids
    )


async def test_a_slow_consumer_holds_the_reader_back_without_losing_anything_or_dropping_the_connection(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    settings = StreamSettings(queue_size=2, silence_timeout=0.5, ping_interval=0.2, request_timeout=3.0)
    async with private_stream(sim, rest, settings=settings) as stream:
        for _ in range(3):
            await fill_market_buy(sim, rest)
        await asyncio.sleep(1.0)  # nobody reads: the queue stays full for twice the silence deadline
        seen: list[str] = []
        async for event in stream.events():
            await asyncio.sleep(0.02)  # and then a slow reader
            if isinstance(event, ExecutionReported):
                seen.append(event.execution.exec_id)
            if len(seen) == 3:
                break
        assert set(seen) == sim.truth().exec_ids
        assert stream.counters.silent_disconnects == 0
        assert stream.counters.reconnects == 0


async def test_the_journal_hook_sees_every_inbound_frame_with_its_channel(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    journaled: list[tuple[str, str, str, datetime]] = []
    async with private_stream(sim, rest, journal=lambda *entry: journaled.append(entry)) as stream:
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        sim.chaos.inject_malformed("not json")
        await asyncio.sleep(0.3)
        channels = {channel for _, channel, _, _ in journaled}
        assert {"status", "subscribe", "executions", "balances", "unreadable"} <= channels
        assert all(source == "kraken" for source, _, _, _ in journaled)
        assert any(payload == "not json" for _, _, payload, _ in journaled)
        assert len(journaled) == stream.pipeline.counters.messages
        assert all(at.tzinfo is not None for _, _, _, at in journaled)


async def test_a_failing_journal_hook_does_not_stop_the_stream(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    def broken(*entry: object) -> None:
        raise RuntimeError("disk full")

    async with private_stream(sim, rest, journal=broken) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        await collected.first(ExecutionReported)
        await collected.stop()


async def test_health_changes_and_the_end_do_not_wait_for_a_lagging_consumer(sim: KrakenSimulator) -> None:
    settings = StreamSettings(queue_size=1, silence_timeout=1.0, ping_interval=0.5, request_timeout=3.0)
    stream = KrakenStream(sim.ws_url, settings=settings)
    await stream.start()
    await stream.subscribe(["BTC/USD"], [MarketChannel.BOOK])
    await stream.wait_healthy(5)
    sim.market.start_activity(500)
    await asyncio.sleep(0.3)  # nobody reads: the reader waits on the full queue
    await stream.close()
    events = [event async for event in stream.events()]
    assert [type(e).__name__ for e in events] == [
        "BookReported",
        "StreamStatusChanged",
        "StreamStatusChanged",
    ]
    assert [(e.healthy, e.reason) for e in events if isinstance(e, StreamStatusChanged)] == [
        (True, "healthy"),
        (False, "closed"),
    ]

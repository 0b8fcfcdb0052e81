"""KrakenStream's books against the simulator: verified against every checksum, equal to the simulator's
book, resynced with a fresh snapshot after a mismatch, and unsubscribed on request."""

from __future__ import annotations

import asyncio

import pytest
from kraken_stream_harness import FAST, Collected, rest, sim

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.domain.events import BookReported, StreamStatusChanged, TickerReported
from galfriday.domain.executions import OrderSide
from galfriday.domain.market_data import MarketChannel
from galfriday.errors import ExchangeError
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["rest", "sim"]

SYMBOL = "BTC/USD"


def assert_book_is_the_simulators(stream: KrakenStream, sim: KrakenSimulator, depth: int = 10) -> None:
    book = stream.book(SYMBOL)
    assert book is not None
    truth = sim.state.depth[SYMBOL]
    assert book.bids(depth) == truth.top(OrderSide.BUY, depth)
    assert book.asks(depth) == truth.top(OrderSide.SELL, depth)


async def settle(sim: KrakenSimulator, actions: int) -> None:
    """`actions` random market actions, then a pause for their book updates to arrive."""
    for _ in range(actions):
        sim.market.step()
        await asyncio.sleep(0.002)
    await asyncio.sleep(0.2)


@pytest.fixture
async def public(sim: KrakenSimulator, rest: KrakenRestClient) -> KrakenStream:
    return KrakenStream(sim.ws_url, pair_source=rest, settings=FAST)


async def test_the_book_follows_the_simulator_through_random_activity(
    sim: KrakenSimulator, public: KrakenStream
) -> None:
    async with public as stream:
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK])
        await stream.wait_healthy(5)
        await settle(sim, 200)
        assert_book_is_the_simulators(stream, sim)
        assert stream.pipeline.counters.checksum_mismatches == 0


async def test_precision_from_the_instrument_channel_is_enough_without_rest(sim: KrakenSimulator) -> None:
    async with KrakenStream(sim.ws_url, settings=FAST) as stream:
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK], depth=25)
        await stream.wait_healthy(5)
        await settle(sim, 100)
        assert_book_is_the_simulators(stream, sim, depth=25)
        assert stream.pipeline.counters.checksum_mismatches == 0


async def test_a_bad_checksum_resubscribes_and_ends_with_the_simulators_book(
    sim: KrakenSimulator, public: KrakenStream
) -> None:
    async with public as stream:
        collected = Collected(stream)
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK])
        await stream.wait_healthy(5)
        sim.chaos.corrupt_next_checksum(1)
        await settle(sim, 20)
        await stream.wait_healthy(5)
        await settle(sim, 50)
        assert stream.counters.checksum_mismatches == 1
        assert stream.counters.resyncs == 1
        assert len([e for e in collected.of(BookReported) if e.update.is_snapshot]) == 2
        assert [e.healthy for e in collected.of(StreamStatusChanged)] == [True, False, True]
        assert_book_is_the_simulators(stream, sim)
        await collected.stop()


async def test_unsubscribing_stops_the_updates(sim: KrakenSimulator, public: KrakenStream) -> None:
    async with public as stream:
        collected = Collected(stream)
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK, MarketChannel.TICKER])
        await stream.wait_healthy(5)
        await stream.unsubscribe([SYMBOL], [MarketChannel.BOOK, MarketChannel.TICKER])
        await asyncio.sleep(0.05)
        seen = len(collected.events)
        await settle(sim, 50)
        assert [e for e in collected.events[seen:] if isinstance(e, BookReported | TickerReported)] == []
        assert stream.book(SYMBOL) is None
        [connection] = sim.ws.connections
        assert set(connection.subscriptions) == {("instrument", None)}
        await collected.stop()


async def test_unsubscribing_what_was_never_subscribed_is_harmless(public: KrakenStream) -> None:
    async with public as stream:
        await stream.subscribe([SYMBOL], [MarketChannel.TICKER])
        await stream.wait_healthy(5)
        await stream.unsubscribe(["ETH/USD"], [MarketChannel.TICKER])
        assert stream.health().healthy


async def test_a_new_depth_resubscribes_the_book_with_it(sim: KrakenSimulator, public: KrakenStream) -> None:
    async with public as stream:
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK])
        await stream.wait_healthy(5)
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK], depth=25)
        await stream.wait_healthy(5)
        await settle(sim, 50)
        assert_book_is_the_simulators(stream, sim, depth=25)
        [connection] = sim.ws.connections
        assert connection.subscriptions[("book", SYMBOL)].view.depth == 25  # type: ignore[union-attr]


async def test_waiting_for_health_on_a_closed_stream_fails_at_once(public: KrakenStream) -> None:
    await public.start()
    await public.close()
    with pytest.raises(ExchangeError, match="closed"):
        await public.wait_healthy(5)

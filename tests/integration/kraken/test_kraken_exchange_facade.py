"""KrakenExchange without a stream: a REST-only adapter that says so instead of pretending to stream."""

from __future__ import annotations

import asyncio

import pytest
from kraken_sim_market import exchange

from galfriday.adapters.kraken.exchange import NO_STREAM, KrakenExchange
from galfriday.domain.market_data import MarketChannel
from galfriday.errors import ExchangeError
from galfriday.testing.kraken_simulator import KrakenSimulator


async def test_without_a_stream_the_facade_reports_itself_unhealthy(sim: KrakenSimulator) -> None:
    async with exchange(sim) as kraken:
        health = kraken.health()

    assert (health.healthy, health.reason) == (False, NO_STREAM)


async def test_without_a_stream_events_end_when_the_facade_closes(sim: KrakenSimulator) -> None:
    kraken = exchange(sim)
    await kraken.start()
    events = kraken.events()
    pending = asyncio.ensure_future(anext(events, None))
    await asyncio.sleep(0.01)
    assert not pending.done()

    await kraken.close()

    assert await asyncio.wait_for(pending, 1) is None


async def test_without_a_stream_subscribing_to_market_data_is_refused(sim: KrakenSimulator) -> None:
    async with exchange(sim) as kraken:
        with pytest.raises(ExchangeError, match="without a stream"):
            await kraken.subscribe(["BTC/USD"], [MarketChannel.BOOK])


async def test_the_facade_reads_the_account_through_rest(sim: KrakenSimulator) -> None:
    kraken: KrakenExchange
    async with exchange(sim) as kraken:
        balances = {b.asset: b.total for b in await kraken.balances()}

    assert balances["USD"] == 100000
    assert kraken.name == "kraken"

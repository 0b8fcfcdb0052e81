"""KrakenExchange (REST account + WebSocket v2 stream) honours the exchange contract against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kraken_sim_market import START, SimMarket, simulator, streaming_exchange

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.memory.clock import ManualClock
from galfriday.testing.exchange_contract import EventLog, ExchangeContract, MarketMaker, TradingExchange
from galfriday.testing.kraken_simulator import KrakenSimulator


class TestKrakenExchange(ExchangeContract):
    event_timeout = 5.0

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(START)

    @pytest.fixture
    async def sim(self, clock: ManualClock) -> AsyncIterator[KrakenSimulator]:
        async with simulator(clock) as sim:
            yield sim

    @pytest.fixture
    async def kraken(self, sim: KrakenSimulator) -> AsyncIterator[KrakenExchange]:
        async with streaming_exchange(sim) as started:
            yield started

    @pytest.fixture
    def exchange(self, kraken: KrakenExchange) -> TradingExchange:
        return kraken

    @pytest.fixture
    def market(self, sim: KrakenSimulator, clock: ManualClock) -> MarketMaker:
        return SimMarket(sim, clock)

    @pytest.fixture
    async def stream(self, exchange: TradingExchange) -> AsyncIterator[EventLog]:
        log = EventLog(exchange, self.event_timeout)
        yield log
        await log.aclose()

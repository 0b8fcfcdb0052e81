"""KrakenExchange (REST account + WebSocket v2 stream) honours the exchange contract against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kraken_sim_market import START, SimMarket, simulator, streaming_exchange

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.memory.clock import ManualClock
from galfriday.domain.instruments import TradingPair
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

    # --- known gaps in the stream's translation, each a strict xfail that fails once fixed ---------------

    @pytest.mark.xfail(
        strict=True,
        reason="KrakenTranslator emits only the fill for a non-closing `trade` report, not the order's "
        "partially_filled state that the same report carries",
    )
    async def test_a_partial_fill_leaves_the_order_open_with_its_filled_quantity(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        await super().test_a_partial_fill_leaves_the_order_open_with_its_filled_quantity(
            exchange, market, pair, stream
        )

    @pytest.mark.xfail(
        strict=True,
        reason="KrakenTranslator emits no partially_filled order report (see above), which this test waits for",
    )
    async def test_cancel_after_a_partial_fill_reports_the_filled_quantity(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        await super().test_cancel_after_a_partial_fill_reports_the_filled_quantity(
            exchange, market, pair, stream
        )

    @pytest.mark.xfail(
        strict=True,
        reason="KrakenStream subscribes `ticker` with Kraken's default event_trigger 'trades', so a change of "
        "the best bid or ask alone is not reported (event_trigger 'bbo' would)",
    )
    async def test_a_ticker_subscription_reports_the_best_bid_and_ask(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        await super().test_a_ticker_subscription_reports_the_best_bid_and_ask(exchange, market, pair, stream)

"""The paper exchange honours galfriday's exchange contract (all of it), on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from galfriday_paper import PaperExchange, PaperFeed
from paper_market import ManualClock, PaperMarket

from galfriday.domain.instruments import TradingPair
from galfriday.testing.exchange_contract import ExchangeContract, MarketMaker, TradingExchange

PAIRS = (
    TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")),
    TradingPair("ETH/USD", price_precision=2, quantity_precision=8, min_quantity=Decimal("0.001")),
)


class TestPaperExchange(ExchangeContract):
    event_timeout = 1.0

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(datetime(2024, 1, 1, tzinfo=UTC))

    @pytest.fixture
    async def paper(self, clock: ManualClock) -> AsyncIterator[PaperExchange]:
        exchange = PaperExchange(
            clock=clock, pairs=PAIRS, balances={"USD": Decimal("100000"), "BTC": Decimal("1")}
        )
        await exchange.start()
        yield exchange
        await exchange.close()

    @pytest.fixture
    def exchange(self, paper: PaperExchange) -> TradingExchange:
        return paper

    @pytest.fixture
    def market(self, paper: PaperExchange, clock: ManualClock) -> MarketMaker:
        return PaperMarket(PaperFeed(paper), clock)

"""The in-memory FakeExchange honours the exchange contract, on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.domain.executions import OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.testing.exchange_contract import ExchangeContract, MarketMaker, TradingExchange

PAIRS = (
    TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")),
    TradingPair("ETH/USD", price_precision=2, quantity_precision=8, min_quantity=Decimal("0.001")),
)


class FakeMarket:
    """The `MarketMaker` of a FakeExchange: its other traders, and the manual clock it reads."""

    symbol = "BTC/USD"
    price = Decimal("50000.0")
    quantity = Decimal("0.01")

    def __init__(self, exchange: FakeExchange, clock: ManualClock) -> None:
        self._exchange = exchange
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    async def add_liquidity(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        await self._exchange.add_liquidity(symbol, side, price, quantity)

    async def trade(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        await self._exchange.trade(symbol, side, price, quantity)

    async def advance(self, seconds: int) -> None:
        self._clock.advance(seconds)
        await self._exchange.tick()


class TestMemoryExchange(ExchangeContract):
    event_timeout = 1.0

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock(datetime(2024, 1, 1, tzinfo=UTC))

    @pytest.fixture
    async def fake(self, clock: ManualClock) -> AsyncIterator[FakeExchange]:
        fake = FakeExchange(
            clock=clock, pairs=PAIRS, balances={"USD": Decimal("100000"), "BTC": Decimal("1")}
        )
        await fake.start()
        yield fake
        await fake.close()

    @pytest.fixture
    def exchange(self, fake: FakeExchange) -> TradingExchange:
        return fake

    @pytest.fixture
    def market(self, fake: FakeExchange, clock: ManualClock) -> MarketMaker:
        return FakeMarket(fake, clock)

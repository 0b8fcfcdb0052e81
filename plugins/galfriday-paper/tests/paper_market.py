"""Test helpers: a manual clock, the contract's `MarketMaker` over a `PaperFeed`, and reading a stream dry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from galfriday_paper import PaperFeed

from galfriday.domain.executions import OrderSide
from galfriday.domain.timestamps import utc

T = TypeVar("T")


class ManualClock:
    """A `galfriday.ports.clock.Clock` that moves only when told; `sleep` waits until it has moved that far."""

    def __init__(self, start: datetime) -> None:
        self._now = utc("start", start)
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        until = self._now + timedelta(seconds=seconds)
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= until)

    async def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        async with self._moved:
            self._moved.notify_all()


class PaperMarket:
    """The rest of the market for the exchange contract: other traders through the feed, and the clock."""

    symbol = "BTC/USD"
    price = Decimal("50000.0")
    quantity = Decimal("0.01")

    def __init__(self, feed: PaperFeed, clock: ManualClock) -> None:
        self._feed = feed
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    async def add_liquidity(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        self._feed.add_liquidity(symbol, side, price, quantity)

    async def trade(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        self._feed.trade(symbol, side, price, quantity)

    async def advance(self, seconds: int) -> None:
        await self._clock.advance(seconds)
        self._feed.tick()


async def drained(events: AsyncIterator[T], quiet: float = 0.05) -> list[T]:
    """Every item the iterator yields until it has been quiet for `quiet` seconds (or has ended)."""
    seen: list[T] = []
    while True:
        try:
            seen.append(await asyncio.wait_for(anext(events), quiet))
        except (TimeoutError, StopAsyncIteration):
            return seen

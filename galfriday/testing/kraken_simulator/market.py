"""Other traders: liquidity on the book, trades against it (our orders too), and optional random activity.

As with `FakeExchange`, other traders' orders are anonymous and checked only for precision, never for
funds. Every change reaches the public channels and, when it fills an account's order, that account's
executions and balances.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from decimal import Decimal

from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator.catalog import KrakenPair
from galfriday.testing.kraken_simulator.state import SimulatorState


class Market:
    """Market-maker and taker hooks over one simulator's books."""

    def __init__(self, state: SimulatorState, seed: int | None = None) -> None:
        self.state = state
        self._random = random.Random(seed)
        self._activity: asyncio.Task[None] | None = None

    def add_liquidity(self, symbol: str, side: OrderSide | str, price: Decimal, qty: Decimal) -> str:
        """Another trader's limit order: it trades with whatever it crosses, then rests; returns its id."""
        return self.state.external_order(
            symbol, OrderSide(side), Decimal(price), Decimal(qty), immediate=False
        )[0]

    def trade(self, symbol: str, side: OrderSide | str, price: Decimal, qty: Decimal) -> Decimal:
        """Another trader's immediate-or-cancel order at limit `price`; returns the quantity it traded."""
        return self.state.external_order(
            symbol, OrderSide(side), Decimal(price), Decimal(qty), immediate=True
        )[1]

    def cancel(self, order_id: str) -> bool:
        """Withdraw another trader's resting order; False if it is no longer on the book."""
        return self.state.cancel_external(order_id)

    def seed_book(
        self,
        symbol: str,
        *,
        mid: Decimal | None = None,
        levels: int = 25,
        step: Decimal | None = None,
        qty: Decimal | None = None,
    ) -> list[str]:
        """Quote `levels` bids below and asks above `mid` (default: the pair's reference price), `step`
        apart (default ten ticks), each of `qty` (default ten order minimums) times a random 1-3."""
        pair = self.state.catalog.pair(symbol)
        mid = pair.reference_price if mid is None else Decimal(mid)
        step = pair.tick_size * 10 if step is None else Decimal(step)
        qty = pair.ordermin * 10 if qty is None else Decimal(qty)
        ids = []
        for level in range(1, levels + 1):
            for side, sign in ((OrderSide.BUY, -1), (OrderSide.SELL, 1)):
                price = mid + sign * step * level
                if price > 0:
                    ids.append(self.add_liquidity(pair.symbol, side, price, self._size(pair, qty)))
        return ids

    def _size(self, pair: KrakenPair, qty: Decimal) -> Decimal:
        factor = Decimal(self._random.randint(100, 300)) / 100
        return (qty * factor).quantize(pair.lot)

    def step(self) -> None:
        """One random action on a random pair: quote near the touch, withdraw a quote, or take liquidity."""
        pair = self._random.choice(self.state.catalog.pairs)
        book = self.state.engine.book(pair.symbol)
        bid, ask = book.best(OrderSide.BUY), book.best(OrderSide.SELL)
        mid = (bid + ask) / 2 if bid is not None and ask is not None else pair.reference_price
        ticks = pair.tick_size * self._random.randint(1, 30)
        roll = self._random.random()
        side = self._random.choice((OrderSide.BUY, OrderSide.SELL))
        if roll < 0.2 and (resting := self.state.external_orders(pair.symbol)):
            self.cancel(self._random.choice(resting))
        elif roll < 0.4:
            price = (ask if side is OrderSide.BUY else bid) or mid
            self.trade(pair.symbol, side, price, self._size(pair, pair.ordermin * 2))
        else:
            price = (mid - ticks if side is OrderSide.BUY else mid + ticks).quantize(pair.tick_size)
            if price > 0:
                self.add_liquidity(pair.symbol, side, price, self._size(pair, pair.ordermin * 10))

    def start_activity(self, actions_per_second: float) -> None:
        """Run `step()` about `actions_per_second` times a second until `stop_activity()`."""
        if self._activity is None or self._activity.done():
            self._activity = asyncio.get_running_loop().create_task(self._run(actions_per_second))

    async def stop_activity(self) -> None:
        if self._activity is not None:
            self._activity.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._activity
            self._activity = None

    async def _run(self, actions_per_second: float) -> None:
        while True:
            await asyncio.sleep(1 / actions_per_second)
            self.step()

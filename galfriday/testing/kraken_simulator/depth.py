"""Aggregated depth (total quantity per price level) of one book, kept up to date change by change, so that
the top levels cost the same however many orders rest at a level."""

from __future__ import annotations

import bisect
from decimal import Decimal

from galfriday.domain.executions import OrderSide

Levels = list[tuple[Decimal, Decimal]]


class Depth:
    """Bids and asks as price -> total quantity, with prices kept sorted."""

    def __init__(self) -> None:
        self._totals: dict[OrderSide, dict[Decimal, Decimal]] = {OrderSide.BUY: {}, OrderSide.SELL: {}}
        self._prices: dict[OrderSide, list[Decimal]] = {OrderSide.BUY: [], OrderSide.SELL: []}

    def add(self, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        totals = self._totals[side]
        if price not in totals:
            bisect.insort(self._prices[side], price)
            totals[price] = quantity
        else:
            totals[price] += quantity

    def remove(self, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        totals = self._totals[side]
        left = totals[price] - quantity
        if left > 0:
            totals[price] = left
            return
        del totals[price]
        prices = self._prices[side]
        del prices[bisect.bisect_left(prices, price)]

    def top(self, side: OrderSide, count: int) -> Levels:
        """The best `count` levels of `side`, best first."""
        prices = self._prices[side]
        chosen = prices[: -count - 1 : -1] if side is OrderSide.BUY else prices[:count]
        totals = self._totals[side]
        return [(price, totals[price]) for price in chosen]

    def best(self, side: OrderSide) -> Decimal | None:
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side is OrderSide.BUY else prices[0]

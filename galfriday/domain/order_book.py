"""A level-2 order book of one symbol: price levels with their total quantity, exact `Decimal` throughout.

A snapshot replaces the book; an update sets levels (quantity zero removes one) and then truncates each side
to the subscribed depth, because an exchange does not send removals for levels that fall out of scope.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from decimal import Decimal

from galfriday.errors import InvalidValueError

Level = tuple[Decimal, Decimal]
"""(price, quantity)."""


class _Side:
    __slots__ = ("prices", "quantities")

    def __init__(self) -> None:
        self.prices: list[Decimal] = []  # ascending
        self.quantities: dict[Decimal, Decimal] = {}

    def set(self, price: Decimal, quantity: Decimal) -> None:
        _check(price, quantity)
        if quantity == 0:
            if self.quantities.pop(price, None) is not None:
                del self.prices[bisect_left(self.prices, price)]
        else:
            if price not in self.quantities:
                insort(self.prices, price)
            self.quantities[price] = quantity

    def keep_lowest(self, depth: int) -> None:
        if len(self.prices) > depth:
            for price in self.prices[depth:]:
                del self.quantities[price]
            del self.prices[depth:]

    def keep_highest(self, depth: int) -> None:
        if len(self.prices) > depth:
            cut = len(self.prices) - depth
            for price in self.prices[:cut]:
                del self.quantities[price]
            del self.prices[:cut]

    def clear(self) -> None:
        self.prices.clear()
        self.quantities.clear()


def _check(price: Decimal, quantity: Decimal) -> None:
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        raise InvalidValueError("price", price, "a finite Decimal greater than zero")
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity < 0:
        raise InvalidValueError("quantity", quantity, "a finite Decimal of zero or more")


class OrderBook:
    """Bids and asks of `symbol`, each side truncated to `depth` levels (None: unbounded)."""

    __slots__ = ("_asks", "_bids", "depth", "symbol")

    def __init__(self, symbol: str, depth: int | None = 10) -> None:
        if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth <= 0):
            raise InvalidValueError("depth", depth, "a positive number of levels, or None for no limit")
        self.symbol = symbol
        self.depth = depth
        self._bids = _Side()
        self._asks = _Side()

    def apply_snapshot(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Replace the whole book (levels of quantity zero are ignored)."""
        self._bids.clear()
        self._asks.clear()
        self.apply_update(bids, asks)

    def apply_update(self, bids: Iterable[Level], asks: Iterable[Level]) -> None:
        """Set each level in order (quantity zero removes it), then truncate both sides to the depth."""
        for price, quantity in bids:
            self._bids.set(price, quantity)
        for price, quantity in asks:
            self._asks.set(price, quantity)
        if self.depth is not None:
            self._bids.keep_highest(self.depth)
            self._asks.keep_lowest(self.depth)

    def bids(self, count: int | None = None) -> list[Level]:
        """Bid levels, best (highest price) first; the best `count` if given."""
        prices = self._bids.prices
        if count is None:
            top = prices[::-1]
        else:
            top = prices[: -count - 1 : -1] if count > 0 else []
        return list(zip(top, map(self._bids.quantities.__getitem__, top), strict=True))

    def asks(self, count: int | None = None) -> list[Level]:
        """Ask levels, best (lowest price) first; the best `count` if given."""
        prices = self._asks.prices
        top = prices if count is None else prices[: max(count, 0)]
        return list(zip(top, map(self._asks.quantities.__getitem__, top), strict=True))

    def best_bid(self) -> Level | None:
        prices = self._bids.prices
        return (prices[-1], self._bids.quantities[prices[-1]]) if prices else None

    def best_ask(self) -> Level | None:
        prices = self._asks.prices
        return (prices[0], self._asks.quantities[prices[0]]) if prices else None

    @property
    def is_crossed(self) -> bool:
        """True when the best bid is at or above the best ask: the book cannot be right."""
        bids, asks = self._bids.prices, self._asks.prices
        return bool(bids and asks and bids[-1] >= asks[0])

    @property
    def is_empty(self) -> bool:
        return not (self._bids.prices or self._asks.prices)

    def clear(self) -> None:
        self._bids.clear()
        self._asks.clear()

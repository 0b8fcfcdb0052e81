"""A price-time-priority order book of one pair, holding the market's resting orders and ours side by side.

An incoming order trades with the best-priced resting orders on the other side, oldest first at each price,
and the book returns each match. It knows nothing of balances, fees or events: the exchange settles what the
book reports. The market's liquidity and our orders queue together, so our order waits behind the market's
quantity that was at its price before it, as it would on a real exchange.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from attrs import frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import OrderSide
from galfriday.errors import InvalidValueError

Level = tuple[Decimal, Decimal]
"""(price, quantity)."""


class Owner(StrEnum):
    OURS = "ours"
    MARKET = "market"


@dataclass(slots=True)
class RestingOrder:
    """An order waiting on the book. Mutable on purpose: `remaining` shrinks as it fills."""

    order_id: str
    owner: Owner
    side: OrderSide
    price: Decimal
    remaining: Decimal


@frozen
class Match:
    """An incoming order traded `quantity` with `resting` at the resting order's price."""

    resting_id: str
    resting_owner: Owner
    resting_side: OrderSide
    price: Decimal
    quantity: Decimal
    resting_done: bool
    """The resting order has nothing left and has left the book."""


def crosses(side: OrderSide, limit: Decimal | None, price: Decimal) -> bool:
    """Whether an order on `side` with `limit` (None: a market order) trades with a resting `price`."""
    if limit is None:
        return True
    return price <= limit if side is OrderSide.BUY else price >= limit


class _Side:
    """One side of the book: a FIFO queue per price, prices kept sorted ascending."""

    __slots__ = ("best_is_highest", "prices", "queues")

    def __init__(self, best_is_highest: bool) -> None:
        self.best_is_highest = best_is_highest
        self.prices: list[Decimal] = []
        self.queues: dict[Decimal, deque[RestingOrder]] = {}

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.best_is_highest else iter(self.prices)

    def append(self, order: RestingOrder) -> None:
        queue = self.queues.get(order.price)
        if queue is None:
            queue = self.queues[order.price] = deque()
            insort(self.prices, order.price)
        queue.append(order)

    def discard(self, order: RestingOrder) -> None:
        queue = self.queues[order.price]
        queue.remove(order)
        if not queue:
            self.drop_level(order.price)

    def drop_level(self, price: Decimal) -> None:
        del self.queues[price]
        del self.prices[bisect_left(self.prices, price)]


class PaperBook:
    """Resting orders of one symbol, matched in price-time priority."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._sides = {
            OrderSide.BUY: _Side(best_is_highest=True),
            OrderSide.SELL: _Side(best_is_highest=False),
        }
        self._by_id: dict[str, RestingOrder] = {}
        self._market_ids = 0

    # --- adding and removing ---------------------------------------------------------------------------

    def rest(
        self, order_id: str, owner: Owner, side: OrderSide, price: Decimal, quantity: Decimal
    ) -> RestingOrder:
        """Queue an order at the back of its price level. It must not cross the other side (match first)."""
        _check_positive("price", price)
        _check_positive("quantity", quantity)
        if order_id in self._by_id:
            raise InvalidValueError(
                "order_id", order_id, f"an id not already resting on the {self.symbol} book"
            )
        order = RestingOrder(order_id, owner, side, price, quantity)
        self._sides[side].append(order)
        self._by_id[order_id] = order
        return order

    def rest_market(self, side: OrderSide, price: Decimal, quantity: Decimal) -> RestingOrder:
        """Queue another trader's order; the book names it."""
        self._market_ids += 1
        return self.rest(f"market-{self._market_ids}", Owner.MARKET, side, price, quantity)

    def remove(self, order_id: str) -> RestingOrder | None:
        """Take an order off the book (a cancel); None if it is not resting."""
        order = self._by_id.pop(order_id, None)
        if order is not None:
            self._sides[order.side].discard(order)
        return order

    def get(self, order_id: str) -> RestingOrder | None:
        return self._by_id.get(order_id)

    # --- the market's liquidity ------------------------------------------------------------------------

    def set_market_level(self, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        """Make the market's quantity at `price` exactly `quantity` (zero removes it), as a feed reports it.

        The market's oldest order at the level keeps its place in the queue and takes the new quantity; any
        other market orders at the level go. Our orders at the level are untouched.
        """
        if quantity < 0:
            raise InvalidValueError("quantity", quantity, "a Decimal of zero or more")
        queue = self._sides[side].queues.get(price, deque())
        market = [order for order in queue if order.owner is Owner.MARKET]
        for order in market[1:] if quantity > 0 else market:
            self.remove(order.order_id)
        if quantity == 0:
            return
        if market:
            market[0].remaining = quantity
        else:
            self.rest_market(side, price, quantity)

    def remove_market_crossing(self, side: OrderSide, price: Decimal) -> None:
        """Drop the market's orders on the other side that an order on `side` at `price` would cross.

        A feed that moves its best price has stopped quoting the levels beyond it, even when it has not said
        so yet; those stale levels must not trade.
        """
        other = self._sides[_other(side)]
        stale = [
            order
            for level in other.prices
            if crosses(side, price, level)
            for order in other.queues[level]
            if order.owner is Owner.MARKET
        ]
        for order in stale:
            self.remove(order.order_id)

    def clear_market(self) -> None:
        """Remove every market order (a feed's snapshot replaces them); ours stay."""
        for order in [o for o in self._by_id.values() if o.owner is Owner.MARKET]:
            self.remove(order.order_id)

    # --- matching --------------------------------------------------------------------------------------

    def match(self, side: OrderSide, quantity: Decimal, limit: Decimal | None) -> list[Match]:
        """Trade an incoming order on `side` against the book, best price first, oldest first at a price.

        `limit` None is a market order. Filled resting orders leave the book; what the incoming order could not
        fill is the caller's to rest or drop.
        """
        _check_positive("quantity", quantity)
        book_side = self._sides[_other(side)]
        matches: list[Match] = []
        left = quantity
        while left > 0 and book_side.prices:
            price = book_side.prices[-1] if book_side.best_is_highest else book_side.prices[0]
            if not crosses(side, limit, price):
                break
            queue = book_side.queues[price]
            resting = queue[0]
            traded = min(left, resting.remaining)
            resting.remaining -= traded
            left -= traded
            done = resting.remaining == 0
            if done:
                self.remove(resting.order_id)
            matches.append(Match(resting.order_id, resting.owner, resting.side, price, traded, done))
        return matches

    def preview(self, side: OrderSide, quantity: Decimal, limit: Decimal | None) -> list[Level]:
        """The (price, quantity) fills `match` would make now, without changing the book."""
        fills: list[Level] = []
        left = quantity
        book_side = self._sides[_other(side)]
        for price in book_side.best_first():
            if left <= 0 or not crosses(side, limit, price):
                break
            available = sum((order.remaining for order in book_side.queues[price]), ZERO)
            traded = min(left, available)
            fills.append((price, traded))
            left -= traded
        return fills

    # --- what the book shows ---------------------------------------------------------------------------

    def levels(self, side: OrderSide) -> list[Level]:
        """Aggregated price levels of one side, best first (ours included: the market would see them)."""
        book_side = self._sides[side]
        return [
            (price, sum((order.remaining for order in book_side.queues[price]), ZERO))
            for price in book_side.best_first()
        ]

    def best(self, side: OrderSide) -> Level | None:
        """The best level of one side: the highest bid or the lowest ask."""
        book_side = self._sides[side]
        if not book_side.prices:
            return None
        price = next(book_side.best_first())
        return price, sum((order.remaining for order in book_side.queues[price]), ZERO)

    def orders(self, side: OrderSide) -> list[RestingOrder]:
        """Resting orders of one side in priority order (for inspection and tests)."""
        book_side = self._sides[side]
        return [order for price in book_side.best_first() for order in book_side.queues[price]]


def _other(side: OrderSide) -> OrderSide:
    return OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY


def _check_positive(field: str, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise InvalidValueError(field, value, "a finite Decimal greater than zero")

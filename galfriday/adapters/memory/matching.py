"""A price-time priority order book and matching engine: pure, synchronous, exact.

The fake exchange drives it. It knows orders, prices and fees, nothing about accounts, balances, clocks or
asyncio, so every matching rule is tested directly. Fills execute at the resting (maker) order's price. An
order never trades against a resting order of the same owner: it is canceled instead (self-trade prevention,
"cancel newest", as Kraken does by default). Anonymous orders (`owner=None`) are many different traders.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Iterator
from decimal import Decimal

from attrs import define, frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.orders import TimeInForce


@frozen
class FeeSchedule:
    """Fee rates charged on the quote-currency value of each fill."""

    maker: Decimal
    taker: Decimal

    def fee(self, cost: Decimal, liquidity: Liquidity) -> Decimal:
        rate = self.maker if liquidity is Liquidity.MAKER else self.taker
        return cost * rate


@define
class RestingOrder:
    """An order waiting on the book. `remaining` shrinks as it fills."""

    order_id: str
    side: OrderSide
    price: Decimal
    remaining: Decimal
    sequence: int
    owner: str | None = None


@frozen
class Fill:
    """One match between an incoming (taker) order and a resting (maker) order, at the maker's price."""

    trade_id: str
    symbol: str
    price: Decimal
    quantity: Decimal
    taker_side: OrderSide
    taker_order_id: str
    taker_owner: str | None
    maker_order_id: str
    maker_owner: str | None
    maker_fee: Decimal
    taker_fee: Decimal
    maker_remaining: Decimal
    """What the maker order still has on the book after this fill."""

    @property
    def cost(self) -> Decimal:
        return self.price * self.quantity

    @property
    def maker_side(self) -> OrderSide:
        return OrderSide.SELL if self.taker_side is OrderSide.BUY else OrderSide.BUY


@frozen
class MatchResult:
    """What became of a submitted order: `filled + resting + canceled == quantity`."""

    order_id: str
    quantity: Decimal
    fills: tuple[Fill, ...]
    resting: Decimal
    canceled: Decimal
    reason: str | None = None
    """Why `canceled` was dropped: immediate-or-cancel, fill-or-kill, market remainder, self-trade."""

    @property
    def filled(self) -> Decimal:
        return sum((fill.quantity for fill in self.fills), ZERO)


def opposite(side: OrderSide) -> OrderSide:
    return OrderSide.SELL if side is OrderSide.BUY else OrderSide.BUY


class OrderBook:
    """The resting orders of one symbol, by price level, each level first come first served."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.last_price: Decimal | None = None
        self.volume = ZERO
        """Base quantity traded since the book was created."""
        self._levels: dict[OrderSide, dict[Decimal, deque[RestingOrder]]] = {
            OrderSide.BUY: {},
            OrderSide.SELL: {},
        }
        self._prices: dict[OrderSide, list[Decimal]] = {OrderSide.BUY: [], OrderSide.SELL: []}
        self._index: dict[str, RestingOrder] = {}

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index

    def get(self, order_id: str) -> RestingOrder | None:
        return self._index.get(order_id)

    def best(self, side: OrderSide) -> Decimal | None:
        """The best price of `side`: the highest bid or the lowest ask."""
        prices = self._prices[side]
        if not prices:
            return None
        return prices[-1] if side is OrderSide.BUY else prices[0]

    def levels(self, side: OrderSide) -> list[tuple[Decimal, Decimal]]:
        """(price, total quantity) per level of `side`, best first."""
        return [
            (price, sum((o.remaining for o in self._levels[side][price]), ZERO))
            for price in self._best_first(side)
        ]

    def queue(self, side: OrderSide) -> Iterator[RestingOrder]:
        """Resting orders of `side` in priority order: best price first, then oldest first."""
        for price in self._best_first(side):
            yield from self._levels[side][price]

    def _best_first(self, side: OrderSide) -> list[Decimal]:
        prices = self._prices[side]
        return prices[::-1] if side is OrderSide.BUY else list(prices)

    def add(self, order: RestingOrder) -> None:
        if order.order_id in self._index:
            raise ValueError(f"order {order.order_id!r} is already on the {self.symbol} book")
        level = self._levels[order.side].get(order.price)
        if level is None:
            level = self._levels[order.side][order.price] = deque()
            bisect.insort(self._prices[order.side], order.price)
        level.append(order)
        self._index[order.order_id] = order

    def remove(self, order_id: str) -> RestingOrder | None:
        """Take an order off the book; None if it is not there."""
        order = self._index.pop(order_id, None)
        if order is None:
            return None
        level = self._levels[order.side][order.price]
        level.remove(order)
        if not level:
            del self._levels[order.side][order.price]
            prices = self._prices[order.side]
            del prices[bisect.bisect_left(prices, order.price)]
        return order

    def reduce(self, order: RestingOrder, quantity: Decimal) -> None:
        """Fill `quantity` of a resting order, removing it once nothing remains."""
        order.remaining -= quantity
        if order.remaining == 0:
            self.remove(order.order_id)


class MatchingEngine:
    """Order books for a set of symbols, matching by price then time, charging maker and taker fees."""

    def __init__(self, symbols: Iterable[str], fees: FeeSchedule) -> None:
        self.fees = fees
        self._books = {symbol: OrderBook(symbol) for symbol in symbols}
        self._sequence = 0
        self._trades = 0

    def book(self, symbol: str) -> OrderBook:
        try:
            return self._books[symbol]
        except KeyError:
            raise KeyError(f"no order book for {symbol!r}; known: {', '.join(sorted(self._books))}") from None

    def preview(
        self,
        symbol: str,
        side: OrderSide,
        quantity: Decimal,
        *,
        price: Decimal | None = None,
        owner: str | None = None,
    ) -> list[tuple[Decimal, Decimal]]:
        """The (price, quantity) fills an incoming order would get right now, without changing the book."""
        plan, _ = self._plan(self.book(symbol), side, quantity, price, owner)
        return [(maker.price, taken) for maker, taken in plan]

    def submit(
        self,
        symbol: str,
        order_id: str,
        side: OrderSide,
        quantity: Decimal,
        *,
        price: Decimal | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        owner: str | None = None,
    ) -> MatchResult:
        """Match an incoming order; a limit GTC remainder rests, any other remainder is canceled.

        `price=None` makes a market order: it takes whatever the book offers, and never rests.
        """
        if quantity <= 0:
            raise ValueError(f"order {order_id!r}: quantity {quantity} must be positive")
        if time_in_force is TimeInForce.GTD:
            raise ValueError(f"order {order_id!r}: good-till-date needs an expiry; the engine has none")
        book = self.book(symbol)
        if order_id in book:
            raise ValueError(f"order {order_id!r} is already on the {symbol} book")
        plan, self_trade = self._plan(book, side, quantity, price, owner)
        available = sum((taken for _, taken in plan), ZERO)
        if time_in_force is TimeInForce.FOK and available < quantity:
            return MatchResult(order_id, quantity, (), ZERO, quantity, "fill-or-kill: not enough liquidity")
        fills = tuple(self._execute(book, order_id, side, owner, maker, taken) for maker, taken in plan)
        remainder = quantity - available
        if remainder == 0:
            return MatchResult(order_id, quantity, fills, ZERO, ZERO)
        if self_trade:
            reason = "self-trade prevented"
        elif price is None:
            reason = "market order: no more liquidity"
        elif time_in_force is TimeInForce.IOC:
            reason = "immediate-or-cancel remainder"
        else:
            self._sequence += 1
            book.add(RestingOrder(order_id, side, price, remainder, self._sequence, owner))
            return MatchResult(order_id, quantity, fills, remainder, ZERO)
        return MatchResult(order_id, quantity, fills, ZERO, remainder, reason)

    def cancel(self, symbol: str, order_id: str) -> RestingOrder | None:
        """Remove a resting order; None if it is not on the book (filled, canceled, or never there)."""
        return self.book(symbol).remove(order_id)

    def _plan(
        self,
        book: OrderBook,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal | None,
        owner: str | None,
    ) -> tuple[list[tuple[RestingOrder, Decimal]], bool]:
        """Which resting orders an incoming order takes, and how much of each; and whether it met its own."""
        plan: list[tuple[RestingOrder, Decimal]] = []
        remaining = quantity
        for maker in book.queue(opposite(side)):
            if remaining == 0 or not _crosses(side, price, maker.price):
                break
            if owner is not None and maker.owner == owner:
                return plan, True
            taken = min(remaining, maker.remaining)
            plan.append((maker, taken))
            remaining -= taken
        return plan, False

    def _execute(
        self,
        book: OrderBook,
        order_id: str,
        side: OrderSide,
        owner: str | None,
        maker: RestingOrder,
        quantity: Decimal,
    ) -> Fill:
        self._trades += 1
        book.reduce(maker, quantity)
        book.last_price = maker.price
        book.volume += quantity
        cost = maker.price * quantity
        return Fill(
            trade_id=f"P{self._trades:06d}",
            symbol=book.symbol,
            price=maker.price,
            quantity=quantity,
            taker_side=side,
            taker_order_id=order_id,
            taker_owner=owner,
            maker_order_id=maker.order_id,
            maker_owner=maker.owner,
            maker_fee=self.fees.fee(cost, Liquidity.MAKER),
            taker_fee=self.fees.fee(cost, Liquidity.TAKER),
            maker_remaining=maker.remaining,
        )


def _crosses(side: OrderSide, limit: Decimal | None, resting: Decimal) -> bool:
    """Whether an incoming order of `side` with `limit` (None: any price) trades with a resting price."""
    if limit is None:
        return True
    return resting <= limit if side is OrderSide.BUY else resting >= limit

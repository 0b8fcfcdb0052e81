"""FakeExchange: an in-memory venue with a real matching engine, implementing both exchange ports.

It behaves like a real exchange so that everything above it is tested honestly: orders are validated against
pair precision and available funds, funds are reserved while orders are open, fills settle with maker or
taker fees charged in the quote currency, and the stream yields exactly the events a real adapter emits.
Other traders are simulated: `add_liquidity` quotes on the book, `trade` takes from it (our resting orders
too).

Choices worth knowing:
- The unfilled remainder of an IOC, FOK or market order is reported `canceled` (not `expired`), with a reason.
- A limit buy reserves `quantity * limit_price * (1 + fee)` of the quote currency, at the higher of the two
  fee rates (normally the taker rate), so no fill can cost more than was reserved; a market buy reserves what
  walking the book costs right now plus the taker fee. A sell reserves its base quantity.
- Our orders never trade with each other: an order that would is canceled ("self-trade prevented").
- Balance reports follow fills only (as on Kraken); reservations and releases show in `balances()`.
- The stream delivers events only while connected: after `start()`, until `disconnect()` or `close()`.
  Events produced while disconnected are lost, as on a real stream; REST calls (`trades_since`, ...) still
  see them. A (re)connection replays snapshots of open orders, balances and subscribed books and tickers,
  then reports the stream healthy.
- The dead-man's switch (`cancel_all_after`) fires once its deadline has passed: checked whenever an
  operation reads the clock, by `tick()`, and by a watcher polling every `WATCH_SECONDS` of loop time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import define

from galfriday.adapters.memory.matching import FeeSchedule, Fill, MatchingEngine, OrderBook
from galfriday.domain.amounts import ZERO, non_negative, positive
from galfriday.domain.balances import Balance
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    StreamStatusChanged,
    TickerReported,
    TradeReported,
)
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair, asset_code
from galfriday.domain.market_data import BookLevel, BookUpdate, MarketChannel, Ticker, Trade
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.domain.timestamps import utc
from galfriday.errors import (
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    InvalidValueError,
    OrderNotFoundError,
)
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import StreamHealth

ACCOUNT = "account"
"""The engine owner of our orders; other traders' orders are anonymous."""

WATCH_SECONDS = 0.05
"""How often (loop time) an armed dead-man's switch is checked when nothing else reads the clock."""

_Depth = dict[OrderSide, dict[Decimal, Decimal]]
_BUY = OrderSide.BUY


@define
class _Tracked:
    """One of our orders, with what it still holds reserved."""

    order: Order
    asset: str
    reserved: Decimal
    per_unit: Decimal | None
    """Reservation released per unit filled; None releases what each fill cost (market buys)."""
    closed_at: datetime | None = None


class _Subscription(AsyncIterator[ExchangeEvent]):
    """One consumer's queue of stream events, from the moment `events()` was called."""

    def __init__(self, detach: Callable[[_Subscription], None]) -> None:
        self._queue: asyncio.Queue[ExchangeEvent | None] = asyncio.Queue()
        self._detach = detach
        self._ended = False

    def push(self, event: ExchangeEvent) -> None:
        self._queue.put_nowait(event)

    def end(self) -> None:
        self._queue.put_nowait(None)

    async def __anext__(self) -> ExchangeEvent:
        if self._ended:
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            self._ended = True
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """Stop receiving; iteration ends."""
        self._ended = True
        self._detach(self)


class FakeExchange:
    """An exchange account and its stream, in memory, over a price-time priority matching engine."""

    def __init__(
        self,
        *,
        clock: Clock,
        pairs: Sequence[TradingPair],
        balances: Mapping[str, Decimal],
        maker_fee: Decimal = Decimal("0.0016"),
        taker_fee: Decimal = Decimal("0.0026"),
        name: str = "memory",
    ) -> None:
        for field, rate in (("maker_fee", maker_fee), ("taker_fee", taker_fee)):
            if non_negative(field, rate) >= 1:
                raise InvalidValueError(field, rate, "a fee rate below 1, such as Decimal('0.0026')")
        self._clock = clock
        self._name = name
        self._pairs = {pair.symbol: pair for pair in pairs}
        self._fees = FeeSchedule(maker=maker_fee, taker=taker_fee)
        self._engine = MatchingEngine(self._pairs, self._fees)
        self._totals = {
            asset_code(asset): non_negative(f"balances[{asset}]", v) for asset, v in balances.items()
        }
        for pair in self._pairs.values():
            self._totals.setdefault(pair.base, ZERO)
            self._totals.setdefault(pair.quote, ZERO)
        self._reserved: dict[str, Decimal] = dict.fromkeys(self._totals, ZERO)
        self._orders: dict[str, _Tracked] = {}
        self._open: dict[str, _Tracked] = {}
        self._executions: list[Execution] = []
        self._counters = {"order": 0, "exec": 0, "external": 0}
        self._deadline: datetime | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._subscribers: list[_Subscription] = []
        self._channels: set[tuple[str, MarketChannel]] = set()
        self._tickers: dict[str, tuple[Decimal, ...]] = {}
        self._started = False
        self._connected = False
        self._closed = False
        self._reconnects = 0
        self._last_message_at: datetime | None = None

    @property
    def name(self) -> str:
        return self._name

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect the stream: snapshots of open orders and balances, then healthy."""
        if self._closed:
            raise ExchangeError(f"exchange {self._name!r} is closed; create a new FakeExchange")
        if self._started:
            return
        self._started = self._connected = True
        self._emit_connection("connected")

    async def close(self) -> None:
        """End every stream iteration; later account calls raise `ExchangeError`."""
        if self._closed:
            return
        if self._connected:
            self._emit(StreamStatusChanged(healthy=False, reason="closed", occurred_at=self._clock.now()))
        self._closed = True
        self._connected = False
        if self._watcher is not None:
            self._watcher.cancel()
        for subscription in self._subscribers:
            subscription.end()
        self._subscribers.clear()

    # --- stream --------------------------------------------------------------------------------------

    def events(self) -> AsyncIterator[ExchangeEvent]:
        """A new subscription: every event delivered from now on, until `close()`."""
        subscription = _Subscription(self._detach)
        if self._closed:
            subscription.end()
        else:
            self._subscribers.append(subscription)
        return subscription

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        """Public market data for `symbols`; books and tickers start with a snapshot. OHLC never reports."""
        now = self._now()
        unknown = [symbol for symbol in symbols if symbol not in self._pairs]
        if unknown:
            raise ExchangeError(
                f"cannot subscribe to unknown symbols {unknown}; known: {sorted(self._pairs)}"
            )
        for symbol in symbols:
            for channel in map(MarketChannel, channels):
                if (symbol, channel) not in self._channels:
                    self._channels.add((symbol, channel))
                    self._emit_snapshot(symbol, channel, now)

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        for symbol in symbols:
            for channel in map(MarketChannel, channels):
                self._channels.discard((symbol, channel))
                if channel is MarketChannel.TICKER:
                    self._tickers.pop(symbol, None)

    def health(self) -> StreamHealth:
        if self._closed:
            reason = "closed"
        elif not self._started:
            reason = "not started"
        elif not self._connected:
            reason = "disconnected"
        else:
            reason = "connected"
        return StreamHealth(self._connected, reason, self._last_message_at, self._reconnects)

    def disconnect(self) -> None:
        """Simulate a lost connection: report it, then deliver nothing until `reconnect()`."""
        if not self._connected:
            return
        self._emit(StreamStatusChanged(healthy=False, reason="disconnected", occurred_at=self._clock.now()))
        self._connected = False

    def reconnect(self) -> None:
        """Simulate a reconnection: snapshots of open orders, balances and subscriptions, then healthy."""
        if self._closed or not self._started:
            raise ExchangeError(f"exchange {self._name!r} is {self.health().reason}; it cannot reconnect")
        if self._connected:
            return
        self._connected = True
        self._reconnects += 1
        self._emit_connection("reconnected")

    # --- account -------------------------------------------------------------------------------------

    async def pairs(self) -> list[TradingPair]:
        self._now()
        return list(self._pairs.values())

    async def balances(self) -> list[Balance]:
        now = self._now()
        return [self._balance(asset, now) for asset in sorted(self._totals)]

    async def open_orders(self) -> list[Order]:
        self._now()
        return [tracked.order for tracked in self._open.values()]

    async def orders_by_id(self, exchange_order_ids: Sequence[str]) -> list[Order]:
        self._now()
        return [self._orders[i].order for i in exchange_order_ids if i in self._orders]

    async def closed_orders_since(self, since: datetime) -> list[Order]:
        since = utc("since", since)
        self._now()
        closed = [t for t in self._orders.values() if t.closed_at is not None and t.closed_at >= since]
        return [t.order for t in sorted(closed, key=lambda t: t.closed_at or since)]

    async def trades_since(self, since: datetime) -> list[Execution]:
        since = utc("since", since)
        self._now()
        return sorted((e for e in self._executions if e.timestamp >= since), key=lambda e: e.timestamp)

    async def place_order(self, order: Order) -> Order:
        """Validate, reserve funds, acknowledge (reported `new`), then match; fills arrive on the stream."""
        now = self._now()
        pair = self._pair(order.symbol)
        self._validate(order, pair)
        price = order.limit_price if order.order_type is OrderType.LIMIT else None
        asset, amount, per_unit = self._reservation(order, pair, price)
        available = self._available(asset)
        if amount > available:
            raise InsufficientFundsError(
                f"order {order.client_order_id}: {order.side.value} {order.quantity} {order.symbol} needs "
                f"{amount} {asset} and {available} {asset} is available; place a smaller order or add funds"
            )
        exchange_order_id = self._next("order", "O")
        acknowledged = order.apply_status(OrderStatus.NEW, now, exchange_order_id=exchange_order_id).order
        tracked = _Tracked(acknowledged, asset, amount, per_unit)
        self._orders[exchange_order_id] = self._open[exchange_order_id] = tracked
        self._reserved[asset] += amount
        self._emit(OrderReported(acknowledged, now))
        before = self._depth(pair.symbol)
        result = self._engine.submit(
            pair.symbol,
            exchange_order_id,
            order.side,
            order.quantity,
            price=price,
            time_in_force=order.time_in_force,
            owner=ACCOUNT,
        )
        self._settle(result.fills, now)
        if result.canceled:
            self._close(tracked, OrderStatus.CANCELED, now, result.reason)
        self._publish_market(pair.symbol, before, result.fills, now)
        return acknowledged

    async def cancel_order(self, exchange_order_id: str) -> None:
        now = self._now()
        tracked = self._open.get(exchange_order_id)
        if tracked is None:
            raise OrderNotFoundError(exchange_order_id)
        symbol = tracked.order.symbol
        before = self._depth(symbol)
        self._engine.cancel(symbol, exchange_order_id)
        self._close(tracked, OrderStatus.CANCELED, now, "user requested")
        self._publish_market(symbol, before, (), now)

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        """Arm (or re-arm) the dead-man's switch for `timeout_seconds` from now; 0 disarms it."""
        now = self._now()
        if isinstance(timeout_seconds, bool) or not isinstance(timeout_seconds, int) or timeout_seconds < 0:
            raise ExchangeError(
                f"cancel_all_after: got {timeout_seconds!r}; expected whole seconds, 0 to disarm"
            )
        if timeout_seconds == 0:
            self._deadline = None
            return None
        self._deadline = now + timedelta(seconds=timeout_seconds)
        if self._started and (self._watcher is None or self._watcher.done()):
            self._watcher = asyncio.get_running_loop().create_task(self._watch_deadline())
        return self._deadline

    async def tick(self) -> None:
        """Read the clock, so that a dead-man's switch whose deadline has passed fires now."""
        self._now()

    # --- other traders -------------------------------------------------------------------------------

    async def add_liquidity(
        self, symbol: str, side: OrderSide | str, price: Decimal, quantity: Decimal
    ) -> str:
        """Another trader's limit order: it trades with whatever it crosses (ours too), then rests.

        No balance is checked. Returns the order's id on the book.
        """
        return (await self._external(symbol, OrderSide(side), price, quantity, TimeInForce.GTC))[0]

    async def trade(self, symbol: str, side: OrderSide | str, price: Decimal, quantity: Decimal) -> Decimal:
        """Another trader's immediate-or-cancel order at limit `price`; returns the quantity it traded."""
        return (await self._external(symbol, OrderSide(side), price, quantity, TimeInForce.IOC))[1]

    def book(self, symbol: str) -> OrderBook:
        """The order book of `symbol`, for inspection; change it only through the methods above."""
        return self._engine.book(self._pair(symbol).symbol)

    async def _external(
        self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal, tif: TimeInForce
    ) -> tuple[str, Decimal]:
        now = self._now()
        pair = self._pair(symbol)
        self._check_precision(f"{side.value} {quantity} {symbol} @ {price}", pair, quantity, price)
        order_id = self._next("external", "X")
        before = self._depth(pair.symbol)
        result = self._engine.submit(pair.symbol, order_id, side, quantity, price=price, time_in_force=tif)
        self._settle(result.fills, now)
        self._publish_market(pair.symbol, before, result.fills, now)
        return order_id, result.filled

    # --- validation and funds ------------------------------------------------------------------------

    def _pair(self, symbol: str) -> TradingPair:
        pair = self._pairs.get(symbol)
        if pair is None:
            known = ", ".join(sorted(self._pairs)) or "nothing"
            raise InvalidOrderError(f"unknown symbol {symbol!r}: exchange {self._name!r} trades {known}")
        return pair

    def _validate(self, order: Order, pair: TradingPair) -> None:
        if order.status is not OrderStatus.PENDING_NEW or order.exchange_order_id is not None:
            raise InvalidOrderError(
                f"order {order.client_order_id} is {order.status.value} with exchange id "
                f"{order.exchange_order_id!r}; only a new order (Order.create) can be placed"
            )
        if order.time_in_force is TimeInForce.GTD:
            raise InvalidOrderError(
                f"order {order.client_order_id}: good-till-date is not supported; use gtc"
            )
        if any(t.order.client_order_id == order.client_order_id for t in self._open.values()):
            raise InvalidOrderError(
                f"order {order.client_order_id}: an open order already has this client order id; use another"
            )
        price = order.limit_price if order.order_type is OrderType.LIMIT else None
        self._check_precision(f"order {order.client_order_id}", pair, order.quantity, price)

    @staticmethod
    def _check_precision(what: str, pair: TradingPair, quantity: Decimal, price: Decimal | None) -> None:
        try:
            positive("quantity", quantity)
            pair.check_quantity(quantity)
            if price is not None:
                pair.check_price(positive("price", price))
        except InvalidValueError as exc:
            raise InvalidOrderError(f"{what}: {exc}") from None

    def _reservation(
        self, order: Order, pair: TradingPair, price: Decimal | None
    ) -> tuple[str, Decimal, Decimal | None]:
        """(asset, amount, per-unit release) an order must hold while open."""
        if order.side is OrderSide.SELL:
            return pair.base, order.quantity, Decimal(1)
        if price is not None:
            per_unit = price * (1 + max(self._fees.maker, self._fees.taker))
            return pair.quote, order.quantity * per_unit, per_unit
        walk = self._engine.preview(pair.symbol, OrderSide.BUY, order.quantity, owner=ACCOUNT)
        cost = sum((p * q for p, q in walk), ZERO)
        return pair.quote, cost + self._fees.fee(cost, Liquidity.TAKER), None

    def _available(self, asset: str) -> Decimal:
        return self._totals.get(asset, ZERO) - self._reserved.get(asset, ZERO)

    def _balance(self, asset: str, at: datetime) -> Balance:
        return Balance(
            asset=asset, total=self._totals[asset], available=self._available(asset), updated_at=at
        )

    def _release(self, tracked: _Tracked, amount: Decimal) -> None:
        amount = min(amount, tracked.reserved)
        tracked.reserved -= amount
        self._reserved[tracked.asset] -= amount

    def _next(self, counter: str, prefix: str) -> str:
        self._counters[counter] += 1
        return f"{prefix}{self._counters[counter]:06d}"

    # --- fills and closes ----------------------------------------------------------------------------

    def _settle(self, fills: Iterable[Fill], now: datetime) -> None:
        for fill in fills:
            if fill.taker_owner == ACCOUNT:
                self._settle_ours(
                    self._orders[fill.taker_order_id], fill, Liquidity.TAKER, fill.taker_fee, now
                )
            if fill.maker_owner == ACCOUNT:
                self._settle_ours(
                    self._orders[fill.maker_order_id], fill, Liquidity.MAKER, fill.maker_fee, now
                )

    def _settle_ours(
        self, tracked: _Tracked, fill: Fill, liquidity: Liquidity, fee: Decimal, now: datetime
    ) -> None:
        """Move the funds of one of our fills, apply it to the order, and report all of it."""
        order = tracked.order
        pair = self._pairs[order.symbol]
        cost = fill.cost
        if order.side is OrderSide.BUY:
            self._totals[pair.base] += fill.quantity
            self._totals[pair.quote] -= cost + fee
            release = cost + fee if tracked.per_unit is None else fill.quantity * tracked.per_unit
        else:
            self._totals[pair.base] -= fill.quantity
            self._totals[pair.quote] += cost - fee
            release = fill.quantity
        self._release(tracked, release)
        execution = Execution(
            exec_id=self._next("exec", "T"),
            order_id=order.order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=fill.quantity,
            price=fill.price,
            timestamp=now,
            fee=fee,
            fee_currency=pair.quote,
            liquidity=liquidity,
            trade_id=fill.trade_id,
            client_order_id=order.client_order_id,
        )
        self._executions.append(execution)
        tracked.order = order.apply_execution(execution).order
        if tracked.order.status is OrderStatus.FILLED:
            self._release(tracked, tracked.reserved)
            tracked.closed_at = now
            del self._open[order.order_id]
        self._emit(ExecutionReported(execution))
        self._emit(OrderReported(tracked.order, now))
        self._emit(BalanceReported(self._balance(pair.base, now)))
        self._emit(BalanceReported(self._balance(pair.quote, now)))

    def _close(self, tracked: _Tracked, status: OrderStatus, at: datetime, reason: str | None) -> None:
        """Close an open order without a fill (cancel, expiry): release its funds and report it."""
        self._release(tracked, tracked.reserved)
        order = tracked.order
        tracked.order = order.apply_status(
            status, at, filled_quantity=order.filled_quantity, reason=reason
        ).order
        tracked.closed_at = at
        del self._open[order.order_id]
        self._emit(OrderReported(tracked.order, at))

    # --- the clock and the dead-man's switch ---------------------------------------------------------

    def _now(self) -> datetime:
        """Read the clock for an operation: refuse if closed, and fire a dead-man's switch that is due."""
        if self._closed:
            raise ExchangeError(f"exchange {self._name!r} is closed")
        now = self._clock.now()
        self._fire_if_due(now)
        return now

    def _fire_if_due(self, now: datetime) -> None:
        deadline = self._deadline
        if deadline is None or now < deadline:
            return
        self._deadline = None
        symbols = sorted({t.order.symbol for t in self._open.values()})
        before = {symbol: self._depth(symbol) for symbol in symbols}
        for tracked in list(self._open.values()):
            self._engine.cancel(tracked.order.symbol, tracked.order.order_id)
            self._close(
                tracked, OrderStatus.CANCELED, deadline, "cancel_all_after: the dead-man's switch fired"
            )
        for symbol in symbols:
            self._publish_market(symbol, before[symbol], (), now)

    async def _watch_deadline(self) -> None:
        while self._deadline is not None and not self._closed:
            await asyncio.sleep(WATCH_SECONDS)
            if not self._closed:
                self._fire_if_due(self._clock.now())

    # --- emitting ------------------------------------------------------------------------------------

    def _emit(self, event: ExchangeEvent) -> None:
        """Deliver to every subscriber, unless the stream is not connected (then the event is lost)."""
        if not self._connected:
            return
        self._last_message_at = self._clock.now()
        for subscription in self._subscribers:
            subscription.push(event)

    def _detach(self, subscription: _Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)

    def _emit_connection(self, reason: str) -> None:
        now = self._clock.now()
        for tracked in self._open.values():
            self._emit(OrderReported(tracked.order, now, snapshot=True))
        for asset in sorted(self._totals):
            self._emit(BalanceReported(self._balance(asset, now), snapshot=True))
        for symbol, channel in sorted(self._channels):
            self._emit_snapshot(symbol, channel, now)
        self._emit(StreamStatusChanged(healthy=True, reason=reason, occurred_at=now))

    def _emit_snapshot(self, symbol: str, channel: MarketChannel, now: datetime) -> None:
        book = self._engine.book(symbol)
        if channel is MarketChannel.BOOK:
            levels = {side: book.levels(side) for side in OrderSide}
            self._emit(BookReported(_book_update(symbol, levels, snapshot=True, at=now)))
        elif channel is MarketChannel.TICKER:
            self._tickers.pop(symbol, None)
            self._publish_ticker(symbol, now)

    def _depth(self, symbol: str) -> _Depth | None:
        """The book's levels before a change, when someone subscribed to its updates."""
        if (symbol, MarketChannel.BOOK) not in self._channels:
            return None
        book = self._engine.book(symbol)
        return {side: dict(book.levels(side)) for side in OrderSide}

    def _publish_market(
        self, symbol: str, before: _Depth | None, fills: Iterable[Fill], now: datetime
    ) -> None:
        """Public data after a change of `symbol`'s book: trades, the changed levels, and the ticker."""
        if (symbol, MarketChannel.TRADE) in self._channels:
            for fill in fills:
                trade = Trade(symbol, fill.trade_id, fill.taker_side, fill.price, fill.quantity, now)
                self._emit(TradeReported(trade))
        after = self._depth(symbol)
        if before is not None and after is not None:
            changed = {
                side: [
                    (price, after[side].get(price, ZERO))
                    for price in sorted(before[side].keys() | after[side].keys(), reverse=side is _BUY)
                    if before[side].get(price) != after[side].get(price)
                ]
                for side in OrderSide
            }
            if changed[OrderSide.BUY] or changed[OrderSide.SELL]:
                self._emit(BookReported(_book_update(symbol, changed, snapshot=False, at=now)))
        self._publish_ticker(symbol, now)

    def _publish_ticker(self, symbol: str, now: datetime) -> None:
        """Report the ticker of a subscribed symbol when any of its values changed."""
        if (symbol, MarketChannel.TICKER) not in self._channels:
            return
        book = self._engine.book(symbol)
        bids, asks = book.levels(OrderSide.BUY)[:1], book.levels(OrderSide.SELL)[:1]
        bid, bid_quantity = bids[0] if bids else (ZERO, ZERO)
        ask, ask_quantity = asks[0] if asks else (ZERO, ZERO)
        values = (bid, bid_quantity, ask, ask_quantity, book.last_price or ZERO, book.volume)
        if self._tickers.get(symbol) == values:
            return
        self._tickers[symbol] = values
        self._emit(TickerReported(Ticker(symbol, *values, timestamp=now)))


def _book_update(
    symbol: str,
    levels: Mapping[OrderSide, Sequence[tuple[Decimal, Decimal]]],
    *,
    snapshot: bool,
    at: datetime,
) -> BookUpdate:
    """A book snapshot or update from (price, quantity) levels, best first; quantity zero removes a level."""
    bids = tuple(BookLevel(price, quantity) for price, quantity in levels[OrderSide.BUY])
    asks = tuple(BookLevel(price, quantity) for price, quantity in levels[OrderSide.SELL])
    return BookUpdate(symbol, bids, asks, is_snapshot=snapshot, timestamp=at)

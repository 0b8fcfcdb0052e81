"""`PaperExchange`: an exchange account and stream whose orders never leave the process.

Our orders are matched in a `PaperBook` per pair against the market's liquidity (which a `PaperFeed` puts
there, from another exchange's market data or by hand), balances live in a `Ledger`, and everything that
happens is published to every subscriber of `events()` as galfriday's exchange events, exactly as a real
exchange adapter reports them: an order `new` before its first fill, each fill as an `ExecutionReported`
followed by the order's new state, then the balances it changed, then public trades, book and ticker for the
subscribed pairs.

Fees are charged in the quote currency: `maker_fee` when our resting order is taken, `taker_fee` when ours
takes. A buy holds `quantity x limit x (1 + the higher fee)` of the quote while it is open; a sell holds its
base quantity. Time comes from the clock; the dead-man's switch fires on the first look at the time after
its deadline (a background check every `deadline_poll_seconds`, any call, or the feed's `tick`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.events import (
    BalanceReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    StreamStatusChanged,
)
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel, Trade
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import (
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    InvalidValueError,
    OrderNotFoundError,
)
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import StreamHealth
from galfriday_paper.book import Level, Match, Owner, PaperBook
from galfriday_paper.fanout import FanOut
from galfriday_paper.ledger import Ledger
from galfriday_paper.market_data import MarketDataPublisher

DEFAULT_MAKER_FEE = Decimal("0.0016")
DEFAULT_TAKER_FEE = Decimal("0.0026")


@dataclass
class _Effects:
    """What one operation changed, published once it is done: balances, then trades, then books."""

    assets: set[str] = field(default_factory=set)
    trades: list[Trade] = field(default_factory=list)


class PaperExchange:
    """`ExchangeAccount` and `ExchangeStream` of one paper account, matched locally. Drive the market with
    a `PaperFeed`."""

    def __init__(
        self,
        *,
        clock: Clock,
        pairs: Iterable[TradingPair],
        balances: Mapping[str, Decimal],
        maker_fee: Decimal = DEFAULT_MAKER_FEE,
        taker_fee: Decimal = DEFAULT_TAKER_FEE,
        deadline_poll_seconds: float | None = 1.0,
        name: str = "paper",
    ) -> None:
        self._clock = clock
        self._pairs = {pair.symbol: pair for pair in pairs}
        if not self._pairs:
            raise InvalidValueError("pairs", [], "at least one TradingPair")
        self._maker_fee = _fee_rate("maker_fee", maker_fee)
        self._taker_fee = _fee_rate("taker_fee", taker_fee)
        self._hold_fee = max(self._maker_fee, self._taker_fee)
        if deadline_poll_seconds is not None and deadline_poll_seconds <= 0:
            raise InvalidValueError(
                "deadline_poll_seconds", deadline_poll_seconds, "seconds above zero, or None"
            )
        self._poll = deadline_poll_seconds
        self._name = name
        self._books = {symbol: PaperBook(symbol) for symbol in self._pairs}
        self._ledger = Ledger(balances)
        self._orders: dict[str, Order] = {}
        self._closed_at: dict[str, datetime] = {}
        self._fills: list[Execution] = []
        self._deadline: datetime | None = None
        self._run = uuid.uuid4().hex[:8]
        """Part of every id, so two runs never reuse an exec id in the same store."""
        self._ids = count(1)
        self._events: FanOut[ExchangeEvent] = FanOut()
        self._market_data = MarketDataPublisher(self._books, self._emit)
        self._state = "not started"
        self._last_event_at: datetime | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"PaperExchange(name={self._name!r}, pairs={sorted(self._pairs)}, state={self._state!r})"

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._state == "running":
            return
        if self._state == "closed":
            raise ExchangeError(
                "a closed paper exchange cannot start again: its streams have ended; build a new one"
            )
        self._state = "running"
        self._emit(StreamStatusChanged(True, "paper exchange running", self._clock.now()))
        if self._poll is not None:
            self._watcher = asyncio.create_task(self._watch_deadline(self._poll), name="paper-deadman")

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self._state == "running":
            self._emit(StreamStatusChanged(False, "paper exchange closed", self._clock.now()))
        self._state = "closed"
        self._events.close()

    async def _watch_deadline(self, every: float) -> None:
        while True:
            await self._clock.sleep(every)
            self.tick()

    # --- ExchangeStream --------------------------------------------------------------------------------

    def events(self) -> AsyncIterator[ExchangeEvent]:
        return self._events.subscribe()

    def health(self) -> StreamHealth:
        return StreamHealth(self._state == "running", self._state, self._last_event_at)

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        """Start publishing market data; a book subscription starts with a snapshot, a ticker with the top."""
        self._market_data.subscribe(symbols, channels, self._clock.now())

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        self._market_data.unsubscribe(symbols, channels)

    # --- ExchangeAccount: queries ----------------------------------------------------------------------

    async def pairs(self) -> list[TradingPair]:
        return list(self._pairs.values())

    async def balances(self) -> list[Balance]:
        return self._ledger.balances(self._now())

    async def open_orders(self) -> list[Order]:
        self._now()
        return [order for order in self._orders.values() if order.status.is_open]

    async def orders_by_id(self, exchange_order_ids: Sequence[str]) -> list[Order]:
        self._now()
        return [self._orders[i] for i in exchange_order_ids if i in self._orders]

    async def closed_orders_since(self, since: datetime) -> list[Order]:
        self._now()
        closed = sorted((at, n, i) for n, (i, at) in enumerate(self._closed_at.items()) if at >= since)
        return [self._orders[i] for _, _, i in closed]

    async def trades_since(self, since: datetime) -> list[Execution]:
        self._now()
        return sorted((e for e in self._fills if e.timestamp >= since), key=lambda e: e.timestamp)

    # --- ExchangeAccount: orders -----------------------------------------------------------------------

    async def place_order(self, order: Order) -> Order:
        """Validate, hold the funds, acknowledge, then match: limit GTC rests what it cannot fill; IOC,
        FOK and market orders cancel it."""
        now = self._now()
        self._require_running()
        pair = self._pair_of(order)
        self._validate(order, pair)
        book = self._books[order.symbol]
        limit = order.limit_price if order.order_type is OrderType.LIMIT else None
        order_id = self._next_id("O")
        hold_asset, hold_amount = self._hold_for(order, pair, book, limit)
        try:
            self._ledger.hold(order_id, hold_asset, hold_amount)
        except InsufficientFundsError as exc:
            raise InsufficientFundsError(
                f"{order.symbol} {order.side.value} order {order.client_order_id} refused: {exc}"
            ) from None
        acknowledged = order.apply_status(OrderStatus.NEW, now, exchange_order_id=order_id).order
        self._orders[order_id] = acknowledged
        self._emit(OrderReported(acknowledged, now))
        effects = _Effects(assets={hold_asset})
        fillable = sum((quantity for _, quantity in book.preview(order.side, order.quantity, limit)), ZERO)
        if order.time_in_force is TimeInForce.FOK and fillable < order.quantity:
            self._close(order_id, OrderStatus.CANCELED, "fill-or-kill: not enough liquidity", now, effects)
        else:
            self._settle(
                order.symbol,
                order.side,
                order_id,
                book.match(order.side, order.quantity, limit),
                now,
                effects,
            )
            current = self._orders[order_id]
            if current.status.is_open:
                if limit is not None and order.time_in_force is TimeInForce.GTC:
                    book.rest(order_id, Owner.OURS, order.side, limit, current.remaining_quantity)
                else:
                    reason = (
                        f"{order.time_in_force.value if limit is not None else 'market'}: remainder dropped"
                    )
                    self._close(order_id, OrderStatus.CANCELED, reason, now, effects)
        self._publish(order.symbol, effects, now)
        return acknowledged

    async def cancel_order(self, exchange_order_id: str) -> None:
        now = self._now()
        self._require_running()
        order = self._orders.get(exchange_order_id)
        if order is None or order.status.is_terminal:
            raise OrderNotFoundError(exchange_order_id)
        effects = _Effects()
        self._close(exchange_order_id, OrderStatus.CANCELED, "canceled on request", now, effects)
        self._publish(order.symbol, effects, now)

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        if not isinstance(timeout_seconds, int) or isinstance(timeout_seconds, bool) or timeout_seconds < 0:
            raise InvalidValueError("timeout_seconds", timeout_seconds, "whole seconds, zero to disarm")
        now = self._now()
        self._deadline = None if timeout_seconds == 0 else now + timedelta(seconds=timeout_seconds)
        return self._deadline

    # --- time ------------------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Act on the time `now` (the clock's by default): fire the dead-man's switch once it is due."""
        now = self._clock.now() if now is None else now
        if self._deadline is None or now < self._deadline:
            return
        self._deadline = None
        for order in [o for o in self._orders.values() if o.status.is_open]:
            effects = _Effects()
            self._close(
                order.order_id,
                OrderStatus.CANCELED,
                "dead-man's switch (cancel_all_after) fired",
                now,
                effects,
            )
            self._publish(order.symbol, effects, now)

    # --- the market side (driven by PaperFeed) ---------------------------------------------------------

    def market_order(
        self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal, *, rest: bool
    ) -> Decimal:
        """Another trader's limit order: it trades with what it crosses, ours included (we are the maker);
        the rest stays on the book when `rest`, else it is dropped (IOC). Returns the quantity traded."""
        book = self._market_book(symbol)
        now = self._now()
        effects = _Effects()
        matches = book.match(side, quantity, price)
        self._settle(symbol, side, None, matches, now, effects)
        traded = sum((m.quantity for m in matches), ZERO)
        if rest and traded < quantity:
            book.rest_market(side, price, quantity - traded)
        self._publish(symbol, effects, now)
        return traded

    def market_levels(
        self, symbol: str, bids: Iterable[Level], asks: Iterable[Level], *, snapshot: bool
    ) -> None:
        """Set the market's quantity at each level, as a feed reports them (a snapshot replaces them all).

        The market's levels on the other side that a level crosses are stale and go; a level that crosses
        our resting orders trades with them first (we are the maker), and the rest is the market's.
        """
        book = self._market_book(symbol)
        now = self._now()
        effects = _Effects()
        if snapshot:
            book.clear_market()
        for side, levels in ((OrderSide.BUY, bids), (OrderSide.SELL, asks)):
            for price, quantity in levels:
                if quantity > 0:
                    book.remove_market_crossing(side, price)
                    matches = book.match(side, quantity, price)
                    self._settle(symbol, side, None, matches, now, effects)
                    quantity -= sum((m.quantity for m in matches), ZERO)
                book.set_market_level(side, price, quantity)
        self._publish(symbol, effects, now)

    def is_traded(self, symbol: str) -> bool:
        return symbol in self._pairs

    def book(self, symbol: str) -> PaperBook:
        """The pair's book, for inspection (change it through the feed, so events are published)."""
        return self._market_book(symbol)

    # --- matching and settling -------------------------------------------------------------------------

    def _settle(
        self,
        symbol: str,
        taker_side: OrderSide,
        taker_id: str | None,
        matches: Iterable[Match],
        now: datetime,
        effects: _Effects,
    ) -> None:
        """Record each match as a public trade, and as a fill of each of our orders on either side of it."""
        for match in matches:
            trade_id = self._next_id("T")
            effects.trades.append(Trade(symbol, trade_id, taker_side, match.price, match.quantity, now))
            if taker_id is not None:
                self._fill(taker_id, match.price, match.quantity, Liquidity.TAKER, trade_id, now, effects)
            if match.resting_owner is Owner.OURS:
                self._fill(
                    match.resting_id, match.price, match.quantity, Liquidity.MAKER, trade_id, now, effects
                )

    def _fill(
        self,
        order_id: str,
        price: Decimal,
        quantity: Decimal,
        liquidity: Liquidity,
        trade_id: str,
        now: datetime,
        effects: _Effects,
    ) -> None:
        order = self._orders[order_id]
        pair = self._pairs[order.symbol]
        cost = quantity * price
        fee = cost * (self._maker_fee if liquidity is Liquidity.MAKER else self._taker_fee)
        if order.side is OrderSide.BUY:
            self._ledger.settle(order_id, pay=(pair.quote, cost + fee), receive=(pair.base, quantity))
        else:
            self._ledger.settle(order_id, pay=(pair.base, quantity), receive=(pair.quote, cost - fee))
        execution = Execution(
            exec_id=self._next_id("X"),
            order_id=order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            timestamp=now,
            fee=fee,
            fee_currency=pair.quote,
            liquidity=liquidity,
            trade_id=trade_id,
            client_order_id=order.client_order_id,
        )
        filled = order.apply_execution(execution).order
        self._orders[order_id] = filled
        self._fills.append(execution)
        effects.assets |= {pair.base, pair.quote}
        self._emit(ExecutionReported(execution))
        self._emit(OrderReported(filled, now))
        if filled.status is OrderStatus.FILLED:
            self._closed_at[order_id] = now
            self._ledger.release(order_id)  # a buy filled below its limit leaves some of its hold

    def _close(
        self, order_id: str, status: OrderStatus, reason: str, now: datetime, effects: _Effects
    ) -> None:
        order = self._orders[order_id]
        pair = self._pairs[order.symbol]
        self._books[order.symbol].remove(order_id)
        self._ledger.release(order_id)
        closed = order.apply_status(status, now, filled_quantity=order.filled_quantity, reason=reason).order
        self._orders[order_id] = closed
        self._closed_at[order_id] = now
        effects.assets |= {pair.base, pair.quote}
        self._emit(OrderReported(closed, now))

    def _hold_for(
        self, order: Order, pair: TradingPair, book: PaperBook, limit: Decimal | None
    ) -> tuple[str, Decimal]:
        """What the order keeps back while open: a sell its base; a buy its quote at its limit (a market buy:
        at the prices it will take now), plus the higher fee."""
        if order.side is OrderSide.SELL:
            return pair.base, order.quantity
        if limit is not None:
            return pair.quote, order.quantity * limit * (1 + self._hold_fee)
        cost = sum(
            (price * quantity for price, quantity in book.preview(order.side, order.quantity, None)), ZERO
        )
        return pair.quote, cost * (1 + self._taker_fee)

    # --- publishing ------------------------------------------------------------------------------------

    def _emit(self, event: ExchangeEvent) -> None:
        self._last_event_at = event.occurred_at
        self._events.publish(event)

    def _publish(self, symbol: str, effects: _Effects, now: datetime) -> None:
        """After an operation: the balances it changed, then the pair's public market data."""
        for asset in sorted(effects.assets):
            self._emit(BalanceReported(self._ledger.balance(asset, now)))
        self._market_data.publish(symbol, effects.trades, now)

    # --- checks ----------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock.now()
        self.tick(now)
        return now

    def _next_id(self, kind: str) -> str:
        return f"{kind}{self._run}-{next(self._ids)}"

    def _require_running(self) -> None:
        if self._state != "running":
            raise ExchangeError(f"the paper exchange is {self._state}; start() it before trading")

    def _pair_of(self, order: Order) -> TradingPair:
        pair = self._pairs.get(order.symbol)
        if pair is None:
            raise InvalidOrderError(
                f"{order.symbol} is not traded on the paper exchange; its pairs are {', '.join(sorted(self._pairs))}"
            )
        return pair

    def _validate(self, order: Order, pair: TradingPair) -> None:
        if order.status is not OrderStatus.PENDING_NEW:
            raise InvalidOrderError(
                f"order {order.client_order_id} is {order.status.value}; only a pending_new order can be placed"
            )
        if order.time_in_force is TimeInForce.GTD:
            raise InvalidOrderError(
                f"{order.symbol} order {order.client_order_id}: time in force gtd is not supported "
                "(an Order carries no expiry time); use gtc, ioc or fok"
            )
        try:
            pair.check_quantity(order.quantity)
            if order.order_type is OrderType.LIMIT and order.limit_price is not None:
                pair.check_price(order.limit_price)
        except InvalidValueError as exc:
            raise InvalidOrderError(f"{order.symbol} order {order.client_order_id}: {exc}") from exc

    def _market_book(self, symbol: str) -> PaperBook:
        book = self._books.get(symbol)
        if book is None:
            raise InvalidValueError(
                "symbol", symbol, f"one of the paper exchange's pairs {sorted(self._books)}"
            )
        return book


def _fee_rate(name: str, rate: Decimal) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or not ZERO <= rate < 1:
        raise InvalidValueError(name, rate, "a Decimal rate from 0 up to (not including) 1, such as 0.0026")
    return rate

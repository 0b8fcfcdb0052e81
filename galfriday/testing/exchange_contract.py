"""The exchange contract: what every exchange adapter must do, as a pytest suite that adapters subclass.

A plugin author proves an adapter honours `ExchangeAccount` and `ExchangeStream` by subclassing
`ExchangeContract` and providing two fixtures::

    class TestMyExchange(ExchangeContract):
        @pytest.fixture
        async def exchange(self) -> AsyncIterator[MyExchange]:
            ...  # build it, `await start()`, yield it, `await close()`

        @pytest.fixture
        def market(self, exchange: MyExchange) -> MyMarket:
            ...  # a `MarketMaker`: other traders and the exchange's clock

Every test gets a fresh exchange (function-scoped fixtures). Its book must hold no liquidity within 20% of
`market.price`, and its account the funds `MarketMaker` describes. Only what the ports promise is asserted:
exact Decimal amounts, ids, statuses and the agreement between the stream and the account's queries.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

import pytest

from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    TickerReported,
    TradeReported,
)
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import Symbol, TradingPair
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import InsufficientFundsError, InvalidOrderError, OrderNotFoundError
from galfriday.ports.exchange import ExchangeAccount, ExchangeStream

BUY, SELL = OrderSide.BUY, OrderSide.SELL
CLOSED_WITHOUT_FULL_FILL = frozenset({OrderStatus.CANCELED, OrderStatus.EXPIRED})
"""How an exchange may report an order whose remainder it dropped (IOC, market, dead-man's switch)."""

E = TypeVar("E", bound=ExchangeEvent)


class TradingExchange(ExchangeAccount, ExchangeStream, Protocol):
    """An exchange adapter: the account and the stream of one account, on one object."""


class MarketMaker(Protocol):
    """The rest of the market, and time, as the contract needs them.

    The account must hold at least 10 x `quantity` x `price` x 1.2 of the quote currency (fees included) and
    10 x `quantity` of the base currency.
    """

    @property
    def symbol(self) -> str:
        """The pair the contract trades, exchange-neutral (`BTC/USD`)."""
        ...

    @property
    def price(self) -> Decimal:
        """A reference price on the pair's tick; the contract trades within 20% of it."""
        ...

    @property
    def quantity(self) -> Decimal:
        """A small order size on the pair's lot, at least twice its minimum."""
        ...

    def now(self) -> datetime:
        """The exchange's current time (what `advance` moves)."""
        ...

    async def add_liquidity(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        """Another trader's limit order: it trades with what it crosses, the rest stays on the book."""
        ...

    async def trade(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        """Another trader's immediate-or-cancel order at limit `price`: it fills resting orders, ours too."""
        ...

    async def advance(self, seconds: int) -> None:
        """Move the exchange's clock forward and let it act on the new time (the dead-man's switch)."""
        ...


class EventLog:
    """One subscription to the stream, read on demand, remembering everything it has seen."""

    def __init__(self, stream: ExchangeStream, timeout: float) -> None:
        self.seen: list[ExchangeEvent] = []
        self._events = stream.events()
        self._timeout = timeout

    async def wait_for(self, kind: type[E], predicate: Callable[[E], bool], what: str) -> E:
        """The first event of `kind` matching `predicate`, among those seen or arriving within the timeout."""
        for event in self.seen:
            if isinstance(event, kind) and predicate(event):
                return event
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    event = await anext(self._events)
                    self.seen.append(event)
                    if isinstance(event, kind) and predicate(event):
                        return event
        except (TimeoutError, StopAsyncIteration):
            seen = ", ".join(type(e).__name__ for e in self.seen[-20:]) or "nothing"
            raise AssertionError(
                f"the stream reported no {what} within {self._timeout}s (saw {seen})"
            ) from None

    async def order(self, exchange_order_id: str, *statuses: OrderStatus) -> Order:
        """The first report of the order in one of `statuses`."""
        wanted = ", ".join(s.value for s in statuses)
        report = await self.wait_for(
            OrderReported,
            lambda e: e.order.exchange_order_id == exchange_order_id and e.order.status in statuses,
            f"order {exchange_order_id} {wanted}",
        )
        return report.order

    def executions(self, exchange_order_id: str) -> list[Execution]:
        """Executions of the order seen so far, in stream order."""
        return [
            e.execution
            for e in self.seen
            if isinstance(e, ExecutionReported) and e.execution.order_id == exchange_order_id
        ]

    def index(self, predicate: Callable[[ExchangeEvent], bool]) -> int:
        """Position of the first event seen that matches, for checking the order of reports."""
        return next(i for i, event in enumerate(self.seen) if predicate(event))

    async def aclose(self) -> None:
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()


_ids = itertools.count(1)


def client_order_id() -> str:
    """A client order id fit for any exchange: short, ASCII, unique."""
    return f"ct{next(_ids)}-{uuid.uuid4().hex[:10]}"


class ExchangeContract:
    """What an exchange adapter promises. Subclass it (as `Test...`) and provide `exchange` and `market`."""

    event_timeout: float = 5.0
    """Seconds to wait for a report on the stream before failing."""

    # --- fixtures --------------------------------------------------------------------------------------

    @pytest.fixture
    def exchange(self) -> TradingExchange:
        pytest.fail("subclass ExchangeContract and provide an `exchange` fixture (started, fresh per test)")

    @pytest.fixture
    def market(self) -> MarketMaker:
        pytest.fail("subclass ExchangeContract and provide a `market` fixture (a MarketMaker)")

    @pytest.fixture
    async def stream(self, exchange: TradingExchange) -> AsyncIterator[EventLog]:
        log = EventLog(exchange, self.event_timeout)
        yield log
        await log.aclose()

    @pytest.fixture
    async def pair(self, exchange: TradingExchange, market: MarketMaker) -> TradingPair:
        pairs = {p.symbol: p for p in await exchange.pairs()}
        assert market.symbol in pairs, f"{market.symbol} is not among the exchange's pairs {sorted(pairs)}"
        return pairs[market.symbol]

    # --- helpers ---------------------------------------------------------------------------------------

    @staticmethod
    def order(
        market: MarketMaker,
        side: OrderSide,
        quantity: Decimal,
        price: Decimal | None = None,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        symbol: str | None = None,
    ) -> Order:
        """A new limit order, or a market order when `price` is None."""
        return Order.create(
            client_order_id=client_order_id(),
            symbol=symbol or market.symbol,
            side=side,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            quantity=quantity,
            limit_price=price,
            time_in_force=time_in_force,
            at=market.now(),
        )

    @staticmethod
    def away(pair: TradingPair, market: MarketMaker, side: OrderSide) -> Decimal:
        """A price 10% away from the reference, on the passive side: a buy below, a sell above."""
        factor = Decimal("0.9") if side is BUY else Decimal("1.1")
        return pair.round_price(market.price * factor)

    async def place(self, exchange: TradingExchange, order: Order) -> str:
        acknowledged = await exchange.place_order(order)
        assert acknowledged.exchange_order_id, f"place_order returned no exchange order id: {acknowledged}"
        return acknowledged.exchange_order_id

    async def rest(
        self,
        exchange: TradingExchange,
        market: MarketMaker,
        pair: TradingPair,
        side: OrderSide,
        quantity: Decimal,
    ) -> str:
        """Place one of our limit orders away from the market, where it rests."""
        return await self.place(exchange, self.order(market, side, quantity, self.away(pair, market, side)))

    async def take(
        self, exchange: TradingExchange, market: MarketMaker, side: OrderSide, quantity: Decimal
    ) -> str:
        """Have another trader quote `quantity` at the reference price, and take it with our limit order."""
        other = SELL if side is BUY else BUY
        await market.add_liquidity(market.symbol, other, market.price, quantity)
        return await self.place(exchange, self.order(market, side, quantity, market.price))

    @staticmethod
    async def balance(exchange: ExchangeAccount, asset: str) -> Balance | None:
        return next((b for b in await exchange.balances() if b.asset == asset), None)

    @staticmethod
    async def totals(exchange: ExchangeAccount, assets: Sequence[str]) -> dict[str, Decimal]:
        held = {b.asset: b.total for b in await exchange.balances()}
        return {asset: held.get(asset, ZERO) for asset in assets}

    @staticmethod
    async def available(exchange: ExchangeAccount, asset: str) -> Decimal:
        held = {b.asset: b.available for b in await exchange.balances()}
        return held.get(asset, ZERO)

    # --- placing ---------------------------------------------------------------------------------------

    async def test_pairs_include_the_market_symbol(self, pair: TradingPair, market: MarketMaker) -> None:
        assert pair.symbol == market.symbol

    async def test_place_order_returns_the_order_acknowledged_with_an_exchange_id(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        order = self.order(market, BUY, market.quantity, self.away(pair, market, BUY))

        acknowledged = await exchange.place_order(order)

        assert acknowledged.exchange_order_id
        assert acknowledged.status is OrderStatus.NEW
        assert (acknowledged.client_order_id, acknowledged.symbol, acknowledged.side) == (
            order.client_order_id,
            order.symbol,
            order.side,
        )
        assert (acknowledged.quantity, acknowledged.limit_price) == (order.quantity, order.limit_price)

    async def test_each_placed_order_gets_its_own_exchange_id(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        first = await self.rest(exchange, market, pair, BUY, market.quantity)
        second = await self.rest(exchange, market, pair, BUY, market.quantity)

        assert first != second

    async def test_the_stream_reports_a_resting_order_as_new(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        order = self.order(market, BUY, market.quantity, self.away(pair, market, BUY))
        exchange_order_id = await self.place(exchange, order)

        reported = await stream.order(exchange_order_id, OrderStatus.NEW)

        assert reported.client_order_id == order.client_order_id
        assert reported.filled_quantity == 0

    async def test_open_orders_lists_a_resting_order_as_the_stream_reported_it(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, SELL, market.quantity)
        reported = await stream.order(exchange_order_id, OrderStatus.NEW)

        listed = {o.exchange_order_id: o for o in await exchange.open_orders()}

        assert exchange_order_id in listed
        mine = listed[exchange_order_id]
        assert (mine.status, mine.quantity, mine.limit_price, mine.side) == (
            reported.status,
            reported.quantity,
            reported.limit_price,
            reported.side,
        )

    async def test_orders_by_id_returns_known_orders_and_omits_unknown_ids(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)

        found = await exchange.orders_by_id([exchange_order_id, "no-such-order-id"])

        assert [o.exchange_order_id for o in found] == [exchange_order_id]

    async def test_a_refused_order_leaves_no_open_order_behind(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        finer = self.away(pair, market, BUY) + pair.tick / 10
        with pytest.raises(InvalidOrderError):
            await exchange.place_order(self.order(market, BUY, market.quantity, finer))

        assert await exchange.open_orders() == []

    # --- refusals --------------------------------------------------------------------------------------

    async def test_a_buy_beyond_the_available_quote_raises_insufficient_funds(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        price = self.away(pair, market, BUY)
        quantity = pair.round_quantity(await self.available(exchange, pair.quote) / price * 2) + pair.lot

        with pytest.raises(InsufficientFundsError):
            await exchange.place_order(self.order(market, BUY, quantity, price))

    async def test_a_sell_beyond_the_available_base_raises_insufficient_funds(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        quantity = await self.available(exchange, pair.base) * 2 + pair.lot

        with pytest.raises(InsufficientFundsError):
            await exchange.place_order(self.order(market, SELL, quantity, self.away(pair, market, SELL)))

    async def test_an_unknown_symbol_raises_invalid_order_naming_it(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        unknown = str(Symbol("GALFRIDAYX", Symbol.parse(market.symbol).quote))
        order = self.order(market, BUY, market.quantity, self.away(pair, market, BUY), symbol=unknown)

        with pytest.raises(InvalidOrderError) as refused:
            await exchange.place_order(order)

        assert unknown in str(refused.value)

    async def test_a_price_finer_than_the_tick_raises_invalid_order(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        price = self.away(pair, market, BUY) + pair.tick / 10

        with pytest.raises(InvalidOrderError):
            await exchange.place_order(self.order(market, BUY, market.quantity, price))

    async def test_a_quantity_finer_than_the_lot_raises_invalid_order(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        quantity = market.quantity + pair.lot / 10

        with pytest.raises(InvalidOrderError):
            await exchange.place_order(self.order(market, BUY, quantity, self.away(pair, market, BUY)))

    # --- fills -----------------------------------------------------------------------------------------

    async def test_an_order_that_crosses_the_book_fills_at_the_resting_price(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        exchange_order_id = await self.take(exchange, market, BUY, market.quantity)

        filled = await stream.order(exchange_order_id, OrderStatus.FILLED)

        [execution] = stream.executions(exchange_order_id)
        assert (execution.quantity, execution.price, execution.side) == (market.quantity, market.price, BUY)
        assert execution.client_order_id in (None, filled.client_order_id)
        assert execution.liquidity is not Liquidity.MAKER
        assert filled.filled_quantity == market.quantity

    async def test_the_stream_reports_new_before_the_first_execution(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        exchange_order_id = await self.take(exchange, market, BUY, market.quantity)
        await stream.order(exchange_order_id, OrderStatus.FILLED)

        new = stream.index(
            lambda e: (
                isinstance(e, OrderReported)
                and e.order.exchange_order_id == exchange_order_id
                and e.order.status is OrderStatus.NEW
            )
        )
        first_fill = stream.index(
            lambda e: isinstance(e, ExecutionReported) and e.execution.order_id == exchange_order_id
        )
        assert new < first_fill

    async def test_a_resting_order_fills_as_maker_when_another_trader_takes_it(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        price = self.away(pair, market, BUY)
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)

        await market.trade(market.symbol, SELL, price, market.quantity)

        await stream.order(exchange_order_id, OrderStatus.FILLED)
        [execution] = stream.executions(exchange_order_id)
        assert (execution.quantity, execution.price) == (market.quantity, price)
        assert execution.liquidity is not Liquidity.TAKER

    async def test_a_partial_fill_leaves_the_order_open_with_its_filled_quantity(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, SELL, market.quantity * 2)

        await market.trade(market.symbol, BUY, self.away(pair, market, SELL), market.quantity)

        reported = await stream.order(exchange_order_id, OrderStatus.PARTIALLY_FILLED)
        assert reported.filled_quantity == market.quantity
        [listed] = [o for o in await exchange.open_orders() if o.exchange_order_id == exchange_order_id]
        assert listed.filled_quantity == market.quantity

    async def test_executions_sum_to_the_reported_filled_quantity_and_cost(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        higher = market.price + pair.tick * 10
        await market.add_liquidity(market.symbol, SELL, market.price, market.quantity)
        await market.add_liquidity(market.symbol, SELL, higher, market.quantity)

        exchange_order_id = await self.place(exchange, self.order(market, BUY, market.quantity * 2, higher))

        filled = await stream.order(exchange_order_id, OrderStatus.FILLED)
        executions = stream.executions(exchange_order_id)
        assert sorted(e.price for e in executions) == [market.price, higher]
        assert sum((e.quantity for e in executions), ZERO) == filled.filled_quantity == market.quantity * 2
        assert sum((e.cost for e in executions), ZERO) == filled.filled_cost

    async def test_no_exec_id_is_reported_twice(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        price = self.away(pair, market, SELL)
        exchange_order_id = await self.rest(exchange, market, pair, SELL, market.quantity * 3)
        for _ in range(3):
            await market.trade(market.symbol, BUY, price, market.quantity)

        await stream.order(exchange_order_id, OrderStatus.FILLED)

        exec_ids = [e.exec_id for e in stream.executions(exchange_order_id)]
        assert len(exec_ids) == 3
        assert len(set(exec_ids)) == 3

    async def test_an_immediate_or_cancel_order_drops_what_it_cannot_fill(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        await market.add_liquidity(market.symbol, SELL, market.price, market.quantity)
        order = self.order(market, BUY, market.quantity * 2, market.price, time_in_force=TimeInForce.IOC)

        exchange_order_id = await self.place(exchange, order)

        closed = await stream.order(exchange_order_id, *CLOSED_WITHOUT_FULL_FILL)
        assert closed.filled_quantity == market.quantity
        assert exchange_order_id not in {o.exchange_order_id for o in await exchange.open_orders()}

    async def test_a_market_order_fills_against_the_book(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        higher = market.price + pair.tick * 10
        await market.add_liquidity(market.symbol, SELL, market.price, market.quantity)
        await market.add_liquidity(market.symbol, SELL, higher, market.quantity)

        exchange_order_id = await self.place(exchange, self.order(market, BUY, market.quantity * 2))

        await stream.order(exchange_order_id, OrderStatus.FILLED)
        assert sorted(e.price for e in stream.executions(exchange_order_id)) == [market.price, higher]

    # --- the account's queries agree with the stream ---------------------------------------------------

    async def test_trades_since_returns_the_executions_the_stream_reported(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        since = market.now()
        taken = await self.take(exchange, market, BUY, market.quantity)
        made = await self.rest(exchange, market, pair, SELL, market.quantity)
        await market.trade(market.symbol, BUY, self.away(pair, market, SELL), market.quantity)
        await stream.order(taken, OrderStatus.FILLED)
        await stream.order(made, OrderStatus.FILLED)

        queried = await exchange.trades_since(since)

        streamed = stream.executions(taken) + stream.executions(made)
        assert {_fill_key(e) for e in queried} == {_fill_key(e) for e in streamed}
        assert [e.timestamp for e in queried] == sorted(e.timestamp for e in queried)

    async def test_trades_since_leaves_out_fills_before_since(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        earlier = await self.take(exchange, market, BUY, market.quantity)
        await stream.order(earlier, OrderStatus.FILLED)
        await market.advance(60)
        since = market.now()
        later = await self.take(exchange, market, BUY, market.quantity)
        await stream.order(later, OrderStatus.FILLED)

        queried = await exchange.trades_since(since)

        assert {e.order_id for e in queried} == {later}

    async def test_closed_orders_since_returns_filled_and_canceled_orders_as_the_stream_reported_them(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        since = market.now()
        filled = await self.take(exchange, market, BUY, market.quantity)
        canceled = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_order(canceled)
        reported = {
            filled: await stream.order(filled, OrderStatus.FILLED),
            canceled: await stream.order(canceled, *CLOSED_WITHOUT_FULL_FILL),
        }

        closed = {o.exchange_order_id: o for o in await exchange.closed_orders_since(since)}

        for exchange_order_id, report in reported.items():
            assert exchange_order_id in closed
            mine = closed[exchange_order_id]
            assert (mine.status, mine.filled_quantity) == (report.status, report.filled_quantity)

    async def test_closed_orders_since_leaves_out_orders_closed_before_since(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        earlier = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_order(earlier)
        await stream.order(earlier, *CLOSED_WITHOUT_FULL_FILL)
        await market.advance(60)
        since = market.now()
        later = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_order(later)
        await stream.order(later, *CLOSED_WITHOUT_FULL_FILL)

        closed = await exchange.closed_orders_since(since)

        assert [o.exchange_order_id for o in closed] == [later]

    async def test_orders_by_id_returns_a_filled_order_as_the_stream_reported_it(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        exchange_order_id = await self.take(exchange, market, BUY, market.quantity)
        reported = await stream.order(exchange_order_id, OrderStatus.FILLED)

        [found] = await exchange.orders_by_id([exchange_order_id])

        assert (found.status, found.filled_quantity, found.filled_cost) == (
            reported.status,
            reported.filled_quantity,
            reported.filled_cost,
        )

    # --- canceling -------------------------------------------------------------------------------------

    async def test_cancel_reports_the_order_canceled(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)

        await exchange.cancel_order(exchange_order_id)

        canceled = await stream.order(exchange_order_id, OrderStatus.CANCELED)
        assert canceled.filled_quantity == 0

    async def test_a_canceled_order_is_no_longer_open(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)

        await exchange.cancel_order(exchange_order_id)
        await stream.order(exchange_order_id, OrderStatus.CANCELED)

        assert exchange_order_id not in {o.exchange_order_id for o in await exchange.open_orders()}
        [found] = await exchange.orders_by_id([exchange_order_id])
        assert found.status is OrderStatus.CANCELED

    async def test_cancel_after_a_partial_fill_reports_the_filled_quantity(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity * 2)
        await market.trade(market.symbol, SELL, self.away(pair, market, BUY), market.quantity)
        await stream.order(exchange_order_id, OrderStatus.PARTIALLY_FILLED)

        await exchange.cancel_order(exchange_order_id)

        canceled = await stream.order(exchange_order_id, OrderStatus.CANCELED)
        assert canceled.filled_quantity == market.quantity

    async def test_cancel_releases_the_reserved_balance(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        before = await self.available(exchange, pair.quote)
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        assert await self.available(exchange, pair.quote) < before

        await exchange.cancel_order(exchange_order_id)
        await stream.order(exchange_order_id, OrderStatus.CANCELED)

        assert await self.available(exchange, pair.quote) == before

    async def test_cancel_of_an_unknown_order_raises_order_not_found(self, exchange: TradingExchange) -> None:
        with pytest.raises(OrderNotFoundError):
            await exchange.cancel_order("no-such-order-id")

    async def test_cancel_of_a_filled_order_raises_order_not_found(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        exchange_order_id = await self.take(exchange, market, BUY, market.quantity)
        await stream.order(exchange_order_id, OrderStatus.FILLED)

        with pytest.raises(OrderNotFoundError):
            await exchange.cancel_order(exchange_order_id)

    async def test_cancel_of_a_canceled_order_raises_order_not_found(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_order(exchange_order_id)
        await stream.order(exchange_order_id, OrderStatus.CANCELED)

        with pytest.raises(OrderNotFoundError):
            await exchange.cancel_order(exchange_order_id)

    # --- balances --------------------------------------------------------------------------------------

    async def test_a_resting_buy_reserves_quote_without_changing_the_total(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        before = await self.balance(exchange, pair.quote)
        assert before is not None, f"no {pair.quote} balance; the MarketMaker promises one"

        await self.rest(exchange, market, pair, BUY, market.quantity)

        after = await self.balance(exchange, pair.quote)
        assert after is not None
        assert after.total == before.total
        assert after.available <= before.available - market.quantity * self.away(pair, market, BUY)

    async def test_a_resting_sell_reserves_its_base_quantity(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        before = await self.balance(exchange, pair.base)
        assert before is not None, f"no {pair.base} balance; the MarketMaker promises one"

        await self.rest(exchange, market, pair, SELL, market.quantity)

        after = await self.balance(exchange, pair.base)
        assert after is not None
        assert (after.total, after.available) == (before.total, before.available - market.quantity)

    async def test_balances_change_by_exactly_the_fills_and_fees(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        assets = sorted({pair.base, pair.quote})
        before = await self.totals(exchange, assets)
        taken = await self.take(exchange, market, BUY, market.quantity)
        made = await self.rest(exchange, market, pair, SELL, market.quantity)
        await market.trade(market.symbol, BUY, self.away(pair, market, SELL), market.quantity)
        await stream.order(taken, OrderStatus.FILLED)
        await stream.order(made, OrderStatus.FILLED)

        after = await self.totals(exchange, sorted({*assets, *_fee_currencies(stream, taken, made)}))

        expected = dict(before)
        for execution in stream.executions(taken) + stream.executions(made):
            expected[pair.base] += execution.quantity * execution.side.sign
            expected[pair.quote] -= execution.cost * execution.side.sign
            expected.setdefault(execution.fee_currency, ZERO)
            expected[execution.fee_currency] -= execution.fee
        assert after == {asset: expected.get(asset, ZERO) for asset in after}

    async def test_the_stream_reports_the_balance_a_fill_leaves(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        base = Symbol.parse(market.symbol).base
        exchange_order_id = await self.take(exchange, market, BUY, market.quantity)
        await stream.order(exchange_order_id, OrderStatus.FILLED)
        total = (await self.totals(exchange, [base]))[base]

        await stream.wait_for(
            BalanceReported,
            lambda e: e.balance.asset == base and e.balance.total == total,
            f"{base} balance of {total}",
        )

    # --- the dead-man's switch -------------------------------------------------------------------------

    async def test_cancel_all_after_returns_when_it_will_fire(
        self, exchange: TradingExchange, market: MarketMaker
    ) -> None:
        now = market.now()

        fires_at = await exchange.cancel_all_after(60)

        assert fires_at is not None
        assert now + timedelta(seconds=59) <= fires_at <= now + timedelta(seconds=61)

    async def test_cancel_all_after_cancels_open_orders_when_it_fires(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_all_after(60)

        await market.advance(61)

        await stream.order(exchange_order_id, *CLOSED_WITHOUT_FULL_FILL)
        assert await exchange.open_orders() == []

    async def test_cancel_all_after_does_not_fire_before_its_deadline(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_all_after(60)

        await market.advance(30)

        assert [o.exchange_order_id for o in await exchange.open_orders()] == [exchange_order_id]

    async def test_rearming_cancel_all_after_postpones_it(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_all_after(60)
        await market.advance(40)

        await exchange.cancel_all_after(60)
        await market.advance(40)

        assert [o.exchange_order_id for o in await exchange.open_orders()] == [exchange_order_id]

    async def test_cancel_all_after_zero_disarms_it(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair
    ) -> None:
        exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)
        await exchange.cancel_all_after(60)

        assert await exchange.cancel_all_after(0) is None
        await market.advance(120)

        assert [o.exchange_order_id for o in await exchange.open_orders()] == [exchange_order_id]

    # --- the stream ------------------------------------------------------------------------------------

    async def test_the_stream_is_healthy_once_started(self, exchange: TradingExchange) -> None:
        assert exchange.health().healthy

    async def test_every_subscriber_sees_every_event(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        other = EventLog(exchange, self.event_timeout)
        try:
            exchange_order_id = await self.rest(exchange, market, pair, BUY, market.quantity)

            first = await stream.order(exchange_order_id, OrderStatus.NEW)
            second = await other.order(exchange_order_id, OrderStatus.NEW)
        finally:
            await other.aclose()

        assert first == second

    async def test_a_trade_subscription_reports_public_trades(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        price = self.away(pair, market, SELL)
        await exchange.subscribe([market.symbol], [MarketChannel.TRADE])
        await market.add_liquidity(market.symbol, SELL, price, market.quantity)

        await market.trade(market.symbol, BUY, price, market.quantity)

        report = await stream.wait_for(
            TradeReported, lambda e: e.trade.symbol == market.symbol, f"{market.symbol} trade"
        )
        assert (report.trade.price, report.trade.quantity) == (price, market.quantity)

    async def test_a_book_subscription_starts_with_a_snapshot(
        self, exchange: TradingExchange, market: MarketMaker, stream: EventLog
    ) -> None:
        await exchange.subscribe([market.symbol], [MarketChannel.BOOK])

        await stream.wait_for(
            BookReported,
            lambda e: e.update.symbol == market.symbol and e.update.is_snapshot,
            f"{market.symbol} book snapshot",
        )

    async def test_a_ticker_subscription_reports_the_best_bid_and_ask(
        self, exchange: TradingExchange, market: MarketMaker, pair: TradingPair, stream: EventLog
    ) -> None:
        bid, ask = self.away(pair, market, BUY), self.away(pair, market, SELL)
        await exchange.subscribe([market.symbol], [MarketChannel.TICKER])

        await market.add_liquidity(market.symbol, BUY, bid, market.quantity)
        await market.add_liquidity(market.symbol, SELL, ask, market.quantity)

        await stream.wait_for(
            TickerReported,
            lambda e: e.ticker.symbol == market.symbol and (e.ticker.bid, e.ticker.ask) == (bid, ask),
            f"{market.symbol} ticker {bid}/{ask}",
        )


def _fill_key(execution: Execution) -> tuple[str, str, Decimal, Decimal, Decimal, str]:
    return (
        execution.exec_id,
        execution.order_id,
        execution.quantity,
        execution.price,
        execution.fee,
        execution.fee_currency,
    )


def _fee_currencies(stream: EventLog, *exchange_order_ids: str) -> set[str]:
    return {e.fee_currency for order_id in exchange_order_ids for e in stream.executions(order_id)}

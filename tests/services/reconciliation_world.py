"""A world for reconciliation tests: a FakeExchange with real trading history, a store that mirrors it, and
injections that make the store differ from the exchange in one known way each.

`mirror` copies the exchange into the store as an order tracker that saw everything would have (orders, fills,
balances, positions replayed from the fills). Its `withhold` and `skip` arguments leave fills or whole orders
out, as a dropped stream would; the other injections write a wrong value into the store directly. Each
injection returns the subject of the discrepancy reconciliation must report for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import TradingPair
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.portfolio import replay_positions
from galfriday.domain.positions import Position
from galfriday.domain.timestamps import EPOCH
from galfriday.errors import OutcomeUnknownError
from galfriday.ports.stores import Store
from galfriday.services.reconciliation import ReconciliationService, ReconciliationSettings
from galfriday.services.trading_gate import TradingGate

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
D = Decimal
PAIRS = (
    TradingPair("BTC/USD", price_precision=1, quantity_precision=4, min_quantity=D("0.0001")),
    TradingPair("ETH/USD", price_precision=2, quantity_precision=3, min_quantity=D("0.001")),
)
T = TypeVar("T")


def new_exchange(clock: ManualClock) -> FakeExchange:
    return FakeExchange(clock=clock, pairs=PAIRS, balances={"USD": D(1_000_000), "BTC": D(10), "ETH": D(100)})


def _limit(client_id: str, symbol: str, side: str, quantity: str, price: str, at: datetime) -> Order:
    return Order.create(
        client_order_id=client_id,
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=D(price),
        at=at,
    )


async def populate(exchange: FakeExchange, clock: ManualClock) -> None:
    """A small history on both pairs: filled, partly filled and open, canceled with and without fills, and
    untouched open orders; fills on both sides, so positions are reduced as well as increased."""
    n = 0

    async def place(symbol: str, side: str, quantity: str, price: str) -> Order:
        nonlocal n
        n += 1
        clock.advance(1)
        return await exchange.place_order(_limit(f"c{n:03d}", symbol, side, quantity, price, clock.now()))

    for symbol, price, step, size in (("BTC/USD", 100, 1, "0.5"), ("ETH/USD", 10, D("0.1"), "2")):
        mid = D(price)
        # Taken immediately: the other side rests first.
        await exchange.add_liquidity(symbol, "sell", mid + step, D(size) * 3)
        await place(symbol, "buy", size, str(mid + step))
        await place(symbol, "buy", size, str(mid + step))
        # Canceled after a partial fill (ours is the only bid, so the other trader's sell meets it).
        canceled = await place(symbol, "buy", size, str(mid - 2 * step))
        clock.advance(1)
        await exchange.trade(symbol, "sell", mid - 2 * step, D(size) / 4)
        await exchange.cancel_order(canceled.order_id)
        # Resting, then partly filled by another trader: left open.
        partly = await place(symbol, "buy", size, str(mid - step))
        clock.advance(1)
        await exchange.trade(symbol, "sell", mid - step, D(size) / 2)
        # A sell that reduces the position: the other trader buys the remaining liquidity and ours.
        await place(symbol, "sell", size, str(mid + 2 * step))
        clock.advance(1)
        await exchange.trade(symbol, "buy", mid + 2 * step, D(size) * 2)
        # Canceled untouched, and an open sell nobody takes.
        untouched = await place(symbol, "buy", size, str(mid - 3 * step))
        await exchange.cancel_order(untouched.order_id)
        await place(symbol, "sell", size, str(mid + 5 * step))
        assert partly.exchange_order_id is not None
    clock.advance(1)


async def exchange_orders(exchange: FakeExchange) -> list[Order]:
    return [*(await exchange.open_orders()), *(await exchange.closed_orders_since(EPOCH))]


def _as_if_missing(report: Order, fills: Iterable[Execution]) -> Order:
    """The order as a tracker that never heard of the withheld fills (nor of the close they led to) holds it."""
    order = attrs.evolve(
        report,
        status=OrderStatus.NEW,
        filled_quantity=0,
        filled_cost=0,
        fees={},
        exec_ids=frozenset(),
        closed_filled_quantity=None,
        reason=None,
    )
    for fill in sorted(fills, key=lambda e: (e.timestamp, e.exec_id)):
        order = order.apply_execution(fill).order
    return order


async def mirror(
    exchange: FakeExchange, store: Store, *, withhold: Iterable[str] = (), skip: Iterable[str] = ()
) -> None:
    """Copy the exchange into the store, leaving out the withheld exec ids and the skipped order ids."""
    withheld, skipped = set(withhold), set(skip)
    trades = await exchange.trades_since(EPOCH)
    kept = [t for t in trades if t.exec_id not in withheld and t.order_id not in skipped]
    async with store.unit_of_work() as uow:
        for report in await exchange_orders(exchange):
            if report.order_id in skipped:
                continue
            own = [t for t in trades if t.order_id == report.order_id]
            if any(t.exec_id in withheld for t in own):
                report = _as_if_missing(report, [t for t in own if t.exec_id not in withheld])
            await uow.orders.save(report)
        await uow.executions.add_many(kept)
        for balance in await exchange.balances():
            await uow.balances.save(balance)
        for position in replay_positions(kept).values():
            await uow.positions.save(position)
        await uow.commit()


# --- injections on the store side ------------------------------------------------------------------------


async def drift_balance(store: Store, asset: str, delta: Decimal) -> str:
    async with store.unit_of_work() as uow:
        balance = await uow.balances.get(asset)
        assert balance is not None
        total = max(D(0), balance.total + delta)
        await uow.balances.save(Balance(asset, total, min(total, balance.available), balance.updated_at))
        await uow.commit()
    return f"balance:{asset}"


async def drift_available(store: Store, asset: str, delta: Decimal) -> str:
    """The same total, another amount available (a reservation we got wrong)."""
    async with store.unit_of_work() as uow:
        balance = await uow.balances.get(asset)
        assert balance is not None
        available = min(balance.total, balance.available + delta)
        if available == balance.available:  # nothing reserved: reserve instead
            available = max(D(0), balance.available - delta)
        assert available != balance.available, "an asset with nothing to move"
        await uow.balances.save(Balance(asset, balance.total, available, balance.updated_at))
        await uow.commit()
    return f"balance:{asset}:available"


async def amend(store: Store, exchange_order_id: str, delta: Decimal) -> str:
    """Our copy of an order with another quantity: an amendment on the exchange we did not hear about."""
    async with store.unit_of_work() as uow:
        order = await uow.orders.get_by_exchange_id(exchange_order_id)
        assert order is not None
        await uow.orders.save(attrs.evolve(order, quantity=order.quantity + delta))
        await uow.commit()
    return f"order:{exchange_order_id}:quantity"


async def drift_position(store: Store, symbol: str, delta: Decimal) -> str:
    async with store.unit_of_work() as uow:
        position = await uow.positions.get(symbol)
        assert position is not None
        await uow.positions.save(attrs.evolve(position, quantity=position.quantity + delta))
        await uow.commit()
    return f"position:{symbol}"


async def drift_cost_basis(store: Store, symbol: str, factor: Decimal) -> str:
    async with store.unit_of_work() as uow:
        position = await uow.positions.get(symbol)
        assert position is not None
        assert position.average_cost > 0
        await uow.positions.save(attrs.evolve(position, average_cost=position.average_cost * factor))
        await uow.commit()
    return f"cost_basis:{symbol}"


async def add_ghost_order(store: Store, n: int, quantity: Decimal, at: datetime) -> str:
    """An open order in the store that the exchange never had."""
    order = _limit(f"ghost-{n}", "BTC/USD", "buy", str(quantity), "50", at)
    order = order.apply_status(OrderStatus.NEW, at, exchange_order_id=f"GHOST-{n}").order
    async with store.unit_of_work() as uow:
        await uow.orders.save(order)
        await uow.commit()
    return f"order:GHOST-{n}"


async def reopen(store: Store, report: Order) -> str:
    """Store an order the exchange canceled (without fills) as still open: its cancel report was lost."""
    async with store.unit_of_work() as uow:
        await uow.orders.save(_as_if_missing(report, ()))
        await uow.commit()
    return f"order:{report.order_id}"


async def positions_of(store: Store) -> dict[str, Position]:
    async with store.unit_of_work() as uow:
        return {p.symbol: p for p in await uow.positions.all()}


# --- an account whose answers are lost ----------------------------------------------------------------------


class FlakyAccount:
    """The exchange account, with the next `failures` calls lost on the way (`OutcomeUnknownError`)."""

    def __init__(self, exchange: FakeExchange, failures: int) -> None:
        self._exchange = exchange
        self.failures = failures
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._exchange, name)

    async def _maybe_fail(self, call: Callable[[], Awaitable[T]]) -> T:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise OutcomeUnknownError("connection reset while reading the answer")
        return await call()

    async def balances(self) -> list[Balance]:
        return await self._maybe_fail(self._exchange.balances)

    async def open_orders(self) -> list[Order]:
        return await self._maybe_fail(self._exchange.open_orders)


def service(
    exchange: Any,
    store: Store,
    clock: ManualClock,
    *,
    gate: TradingGate | None = None,
    notifier: MemoryNotifier | None = None,
    **settings: Any,
) -> ReconciliationService:
    return ReconciliationService(
        exchange,
        store,
        notifier or MemoryNotifier(),
        clock,
        gate or TradingGate(),
        ReconciliationSettings(**settings),
    )

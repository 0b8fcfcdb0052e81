"""Order tracking: exchange reports become orders, fills, positions and balances, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.balances import Balance
from galfriday.domain.events import (
    BalanceChanged,
    BalanceReported,
    ExecutionApplied,
    ExecutionReported,
    OrderReported,
    OrderStatusChanged,
)
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.services.order_tracking import OrderTracker

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def a_buy(client_id: str = "c-1", quantity: str = "1.0") -> Order:
    return Order.create(
        client_order_id=client_id,
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        limit_price=Decimal("50000"),
        at=T0,
    )


def a_fill(
    exec_id: str,
    quantity: str,
    price: str = "50000",
    *,
    order_id: str = "O-1",
    seconds: int = 1,
    client_id: str | None = "c-1",
) -> Execution:
    return Execution(
        exec_id=exec_id,
        order_id=order_id,
        client_order_id=client_id,
        symbol="BTC/USD",
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        price=Decimal(price),
        timestamp=T0 + timedelta(seconds=seconds),
        fee=Decimal("0.5"),
        fee_currency="USD",
        liquidity=Liquidity.TAKER,
    )


@pytest.fixture
async def store() -> MemoryStore:
    store = MemoryStore()
    await store.start()
    return store


@pytest.fixture
def bus() -> MemoryEventBus:
    return MemoryEventBus(maxsize=100)


@pytest.fixture
def tracker(store: MemoryStore, bus: MemoryEventBus) -> OrderTracker:
    return OrderTracker(store, bus)


async def acknowledge(tracker: OrderTracker, order: Order, exchange_id: str = "O-1") -> None:
    await tracker.record_placed(order)
    ack = order.apply_status(OrderStatus.NEW, T0, exchange_order_id=exchange_id).order
    await tracker.handle(OrderReported(ack, occurred_at=T0))


async def test_an_execution_delivered_twice_is_applied_once(
    tracker: OrderTracker, store: MemoryStore
) -> None:
    await acknowledge(tracker, a_buy())
    first = await tracker.handle(ExecutionReported(a_fill("E1", "0.4")))
    again = await tracker.handle(ExecutionReported(a_fill("E1", "0.4")))
    assert any(isinstance(e, ExecutionApplied) for e in first)
    assert again == []
    async with store.unit_of_work() as uow:
        order = await uow.orders.get("c-1")
        position = await uow.positions.get("BTC/USD")
    assert order is not None
    assert order.filled_quantity == Decimal("0.4")
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert position is not None
    assert position.quantity == Decimal("0.4")


async def test_fills_complete_the_order_and_move_the_position(
    tracker: OrderTracker, store: MemoryStore
) -> None:
    await acknowledge(tracker, a_buy())
    await tracker.handle(ExecutionReported(a_fill("E1", "0.25", "50000")))
    await tracker.handle(ExecutionReported(a_fill("E2", "0.75", "50100", seconds=2)))
    async with store.unit_of_work() as uow:
        order = await uow.orders.get("c-1")
        position = await uow.positions.get("BTC/USD")
        fills = await uow.executions.for_order("O-1")
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert order.average_price == Decimal("50075")
    assert order.fees == {"USD": Decimal("1.0")}
    assert position is not None
    assert position.average_cost == Decimal("50075")
    assert [f.exec_id for f in fills] == ["E1", "E2"]


async def test_an_execution_that_arrives_before_its_order_is_kept_and_applied_later(
    tracker: OrderTracker, store: MemoryStore
) -> None:
    early = a_fill("E9", "0.1", order_id="O-X", client_id=None)
    assert await tracker.handle(ExecutionReported(early)) == []
    report = Order.create(
        client_order_id="ext-1",
        symbol="BTC/USD",
        side="buy",
        order_type="limit",
        quantity=Decimal("0.1"),
        limit_price=Decimal("50000"),
        at=T0,
    )
    report = report.apply_status(OrderStatus.NEW, T0, exchange_order_id="O-X").order
    report = report.apply_execution(early).order
    produced = await tracker.handle(OrderReported(report, occurred_at=T0 + timedelta(seconds=2)))
    assert any(isinstance(e, ExecutionApplied) for e in produced)
    async with store.unit_of_work() as uow:
        adopted = await uow.orders.get_by_exchange_id("O-X")
    assert adopted is not None
    assert adopted.external
    assert adopted.filled_quantity == Decimal("0.1")
    assert adopted.status is OrderStatus.FILLED


async def test_a_cancel_report_closes_the_order_with_its_filled_quantity(
    tracker: OrderTracker, store: MemoryStore
) -> None:
    order = a_buy()
    await acknowledge(tracker, order)
    await tracker.handle(ExecutionReported(a_fill("E1", "0.3")))
    async with store.unit_of_work() as uow:
        current = await uow.orders.get("c-1")
    assert current is not None
    canceled = current.apply_status(
        OrderStatus.CANCELED, T0 + timedelta(seconds=5), filled_quantity=Decimal("0.3")
    )
    produced = await tracker.handle(OrderReported(canceled.order, occurred_at=T0 + timedelta(seconds=5)))
    assert [type(e) for e in produced] == [OrderStatusChanged]
    async with store.unit_of_work() as uow:
        closed = await uow.orders.get("c-1")
        assert await uow.orders.list_open() == []
    assert closed is not None
    assert closed.status is OrderStatus.CANCELED
    assert closed.fillable_limit == Decimal("0.3")


async def test_balance_reports_are_stored_and_announced_only_when_they_change(
    tracker: OrderTracker, store: MemoryStore
) -> None:
    balance = Balance(asset="USD", total=Decimal("1000"), available=Decimal("900"), updated_at=T0)
    assert [type(e) for e in await tracker.handle(BalanceReported(balance))] == [BalanceChanged]
    assert await tracker.handle(BalanceReported(balance)) == []
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("USD") == balance


async def test_exchange_and_domain_events_are_published_on_the_bus(
    tracker: OrderTracker, bus: MemoryEventBus
) -> None:
    executions = bus.subscribe("order.execution")
    raw = bus.subscribe("exchange.execution")
    await acknowledge(tracker, a_buy())
    await tracker.handle(ExecutionReported(a_fill("E1", "0.5")))
    applied = await anext(aiter(executions))
    reported = await anext(aiter(raw))
    assert isinstance(applied, ExecutionApplied)
    assert applied.execution.exec_id == "E1"
    assert isinstance(reported, ExecutionReported)
    assert reported.execution.exec_id == "E1"

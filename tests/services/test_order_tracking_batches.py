"""OrderTracker.handle_many: many events in one unit of work, with the same outcome as one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.balances import Balance
from galfriday.domain.events import BalanceReported, ExchangeEvent, ExecutionReported, OrderReported
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import OverfillError
from galfriday.ports.stores import Store
from galfriday.services.order_tracking import OrderTracker

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
StoreFactory = Callable[[str], Store]


@pytest_asyncio.fixture(params=["memory", "sqlite"])
async def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    opened: list[Store] = []

    def make(name: str) -> Store:
        store: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / f"{name}.db")
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


def placed(client_id: str, exchange_id: str) -> tuple[Order, Order]:
    order = Order.create(
        client_order_id=client_id,
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("1"),
        limit_price=Decimal("50000"),
        at=T0,
    )
    return order, order.apply_status(OrderStatus.NEW, T0, exchange_order_id=exchange_id).order


def fill(exec_id: str, order_id: str, quantity: str, seconds: int) -> Execution:
    return Execution(
        exec_id=exec_id,
        order_id=order_id,
        symbol="BTC/USD",
        side=OrderSide.BUY,
        quantity=Decimal(quantity),
        price=Decimal("50000"),
        timestamp=T0 + timedelta(seconds=seconds),
        fee=Decimal("0.1"),
        liquidity=Liquidity.MAKER,
    )


def recovered_events() -> tuple[list[Order], list[ExchangeEvent]]:
    """A backfill's worth: fills of two orders (one arriving before its order is known), the orders' reports,
    a fill delivered twice and a balance."""
    _, first_ack = placed("c-1", "O-1")
    _, second_ack = placed("c-2", "O-2")
    events: list[ExchangeEvent] = [
        ExecutionReported(fill("E1", "O-1", "0.25", 1)),
        ExecutionReported(fill("E2", "O-2", "0.5", 2)),  # O-2 is not known yet: kept, applied on its report
        ExecutionReported(fill("E3", "O-1", "0.75", 3)),
        ExecutionReported(fill("E1", "O-1", "0.25", 1)),
        OrderReported(second_ack, T0 + timedelta(seconds=4)),
        BalanceReported(Balance("USD", Decimal("1000"), Decimal("900"), T0)),
    ]
    return [first_ack], events


async def snapshot(store: Store) -> tuple[Any, ...]:
    async with store.unit_of_work() as uow:
        orders = sorted(await uow.orders.list_open(), key=lambda o: o.client_order_id)
        closed = [await uow.orders.get("c-1"), await uow.orders.get_by_exchange_id("O-2")]
        fills = await uow.executions.since(T0)
        positions = await uow.positions.get("BTC/USD")
        balances = await uow.balances.all()
    return orders, closed, fills, positions, balances


async def published(bus: MemoryEventBus, everything: Any) -> list[Any]:
    return [await anext(everything) for _ in range(everything.lag)]


async def test_a_batch_stores_and_publishes_what_one_by_one_does(new_store: StoreFactory) -> None:
    outcomes = []
    for batched in (False, True):
        store, bus = new_store(f"batched-{batched}"), MemoryEventBus(maxsize=1000)
        await store.start()
        tracker = OrderTracker(store, bus)
        acks, events = recovered_events()
        for ack in acks:
            await tracker.record_placed(ack)
        everything = bus.subscribe("*", maxsize=1000)
        if batched:
            produced = await tracker.handle_many(events)
        else:
            produced = [domain_event for event in events for domain_event in await tracker.handle(event)]
        outcomes.append((produced, await published(bus, everything), await snapshot(store)))
    one_by_one, batch = outcomes
    assert batch == one_by_one
    produced, _, (_, closed, fills, position, _) = batch
    assert [f.exec_id for f in fills] == ["E1", "E2", "E3"]
    assert [order.status for order in closed if order is not None] == [
        OrderStatus.FILLED,
        OrderStatus.PARTIALLY_FILLED,
    ]
    assert position.quantity == Decimal("1.5")
    assert produced


async def test_a_refused_event_leaves_the_whole_batch_unapplied_and_unpublished(
    new_store: StoreFactory,
) -> None:
    store, bus = new_store("refused"), MemoryEventBus(maxsize=1000)
    await store.start()
    tracker = OrderTracker(store, bus)
    _, ack = placed("c-1", "O-1")
    await tracker.record_placed(ack)
    everything = bus.subscribe("*", maxsize=1000)
    events: list[ExchangeEvent] = [
        ExecutionReported(fill("E1", "O-1", "0.5", 1)),
        ExecutionReported(fill("E2", "O-1", "0.75", 2)),  # 1.25 of an order of 1
    ]
    with pytest.raises(OverfillError):
        await tracker.handle_many(events)
    assert everything.lag == 0
    async with store.unit_of_work() as uow:
        assert await uow.executions.since(T0) == []
        order = await uow.orders.get("c-1")
        assert await uow.positions.get("BTC/USD") is None
    assert order == ack


async def test_an_empty_batch_changes_nothing(new_store: StoreFactory) -> None:
    store = new_store("empty")
    await store.start()
    assert await OrderTracker(store, MemoryEventBus()).handle_many([]) == []

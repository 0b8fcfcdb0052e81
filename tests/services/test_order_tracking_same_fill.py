"""OrderTracker and the same fill reported twice in different forms (WebSocket and REST), on real stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import pytest_asyncio

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.events import ExecutionApplied, ExecutionReported, OrderReported
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import ConflictingExecutionError
from galfriday.ports.stores import Store
from galfriday.services.order_tracking import OrderTracker

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

STREAMED = Execution(
    exec_id="TGBB7L-HT5LX-J3BZ4A",
    order_id="O-1",
    client_order_id="c-1",
    symbol="BTC/USD",
    side=OrderSide.BUY,
    quantity=Decimal("0.4"),
    price=Decimal("50000.1"),
    timestamp=T0 + timedelta(seconds=1, microseconds=123456),
    fee=Decimal("0.5"),
    fee_currency="USD",
    liquidity=Liquidity.TAKER,
    trade_id="62887576",
)
FROM_REST = attrs.evolve(
    STREAMED,
    client_order_id=None,
    timestamp=T0 + timedelta(seconds=1, microseconds=123500),
    liquidity=Liquidity.UNKNOWN,
    trade_id=None,
)


@pytest_asyncio.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    chosen: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "store.db")
    await chosen.start()
    yield chosen
    await chosen.close()


@pytest.fixture
def tracker(store: Store) -> OrderTracker:
    return OrderTracker(store, MemoryEventBus(maxsize=100))


async def acknowledged(tracker: OrderTracker) -> None:
    order = Order.create(
        client_order_id="c-1",
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("1"),
        limit_price=Decimal("50001"),
        at=T0,
    )
    await tracker.record_placed(order)
    ack = order.apply_status(OrderStatus.NEW, T0, exchange_order_id="O-1").order
    await tracker.handle(OrderReported(ack, occurred_at=T0))


async def stored_state(store: Store) -> tuple[Execution | None, Order | None, Decimal | None]:
    async with store.unit_of_work() as uow:
        execution = await uow.executions.get(STREAMED.exec_id)
        order = await uow.orders.get("c-1")
        position = await uow.positions.get("BTC/USD")
    return execution, order, None if position is None else position.quantity


@pytest.mark.parametrize(("first", "second"), [(STREAMED, FROM_REST), (FROM_REST, STREAMED)])
async def test_the_same_fill_from_rest_and_from_the_stream_is_applied_once(
    tracker: OrderTracker, store: Store, first: Execution, second: Execution
) -> None:
    await acknowledged(tracker)
    applied = await tracker.handle(ExecutionReported(first))
    again = await tracker.handle(ExecutionReported(second))
    assert any(isinstance(event, ExecutionApplied) for event in applied)
    assert again == []
    execution, order, position = await stored_state(store)
    assert execution == first  # the stored form is kept
    assert order is not None
    assert (order.filled_quantity, order.status) == (Decimal("0.4"), OrderStatus.PARTIALLY_FILLED)
    assert position == Decimal("0.4")


async def test_the_same_fill_twice_in_one_batch_is_applied_once(tracker: OrderTracker, store: Store) -> None:
    await acknowledged(tracker)
    produced = await tracker.handle_many([ExecutionReported(FROM_REST), ExecutionReported(STREAMED)])
    assert sum(isinstance(event, ExecutionApplied) for event in produced) == 1
    _, order, position = await stored_state(store)
    assert order is not None
    assert order.filled_quantity == Decimal("0.4")
    assert position == Decimal("0.4")


@pytest.mark.parametrize(
    "conflicting",
    [
        attrs.evolve(FROM_REST, quantity=Decimal("0.3")),
        attrs.evolve(FROM_REST, price=Decimal("50000.2")),
        attrs.evolve(FROM_REST, fee=Decimal("0.6")),
        attrs.evolve(FROM_REST, timestamp=T0 + timedelta(seconds=30)),
        attrs.evolve(STREAMED, client_order_id="c-2"),
    ],
)
async def test_a_different_fill_under_a_known_exec_id_is_refused_and_changes_nothing(
    tracker: OrderTracker, store: Store, conflicting: Execution
) -> None:
    await acknowledged(tracker)
    await tracker.handle(ExecutionReported(STREAMED))
    with pytest.raises(ConflictingExecutionError):
        await tracker.handle(ExecutionReported(conflicting))
    execution, order, position = await stored_state(store)
    assert execution == STREAMED
    assert order is not None
    assert order.filled_quantity == Decimal("0.4")
    assert position == Decimal("0.4")


async def test_the_time_tolerance_is_configurable(store: Store) -> None:
    strict = OrderTracker(store, MemoryEventBus(maxsize=100), fill_time_tolerance=timedelta(0))
    await acknowledged(strict)
    await strict.handle(ExecutionReported(STREAMED))
    with pytest.raises(ConflictingExecutionError):
        await strict.handle(ExecutionReported(FROM_REST))

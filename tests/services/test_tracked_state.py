"""TrackedState: within one unit of work, each order and position is read from the store once and saved once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.positions import Position
from galfriday.services.tracked_state import TrackedState

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Counted:
    """A real repository, counting the calls made to it by name."""

    def __init__(self, repository: Any, calls: Counter[str], prefix: str) -> None:
        self._repository = repository
        self._calls = calls
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._repository, name)

        async def counted(*args: Any) -> Any:
            self._calls[f"{self._prefix}.{name}"] += 1
            return await method(*args)

        return counted


class CountedUnitOfWork:
    def __init__(self, uow: Any, calls: Counter[str]) -> None:
        self.orders = Counted(uow.orders, calls, "orders")
        self.positions = Counted(uow.positions, calls, "positions")


@pytest.fixture
async def store() -> AsyncIterator[MemoryStore]:
    store = MemoryStore()
    await store.start()
    async with store.unit_of_work() as uow:
        await uow.orders.save(acknowledged())
        await uow.commit()
    yield store
    await store.close()


def acknowledged() -> Order:
    order = Order.create(
        client_order_id="c-1",
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("1"),
        limit_price=Decimal("50000"),
        at=T0,
    )
    return order.apply_status(OrderStatus.NEW, T0, exchange_order_id="O-1").order


async def test_an_order_is_read_once_whichever_id_finds_it(store: MemoryStore) -> None:
    calls: Counter[str] = Counter()
    async with store.unit_of_work() as uow:
        state = TrackedState(CountedUnitOfWork(uow, calls))  # type: ignore[arg-type]
        by_exchange_id = await state.find_order("O-1", None)
        again = await state.find_order("O-1", "c-1")
        by_client_id = await state.find_order(None, "c-1")
    assert by_exchange_id == again == by_client_id == acknowledged()
    assert calls == Counter({"orders.get_by_exchange_id": 1})


async def test_changes_are_seen_at_once_and_saved_once_at_the_flush(store: MemoryStore) -> None:
    calls: Counter[str] = Counter()
    async with store.unit_of_work() as uow:
        state = TrackedState(CountedUnitOfWork(uow, calls))  # type: ignore[arg-type]
        order = await state.find_order("O-1", None)
        assert order is not None
        position = await state.position("BTC/USD")
        assert position is None
        for status in (OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELED):
            order = order.apply_status(status, T0).order
            state.save_order(order)
            position = Position.flat("BTC/USD", T0)
            state.save_position(position)
        assert await state.find_order("O-1", None) == order
        assert await state.position("BTC/USD") == position
        assert calls["orders.save"] == calls["positions.save"] == 0  # nothing written before the flush
        await state.flush()
        await uow.commit()
    assert calls == Counter(
        {"orders.get_by_exchange_id": 1, "positions.get": 1, "orders.save": 1, "positions.save": 1}
    )
    async with store.unit_of_work() as uow:
        assert await uow.orders.get("c-1") == order
        assert await uow.positions.get("BTC/USD") == position


async def test_an_order_it_does_not_know_is_looked_up_each_way_and_not_found(store: MemoryStore) -> None:
    calls: Counter[str] = Counter()
    async with store.unit_of_work() as uow:
        state = TrackedState(CountedUnitOfWork(uow, calls))  # type: ignore[arg-type]
        assert await state.find_order("O-404", "c-404") is None
    assert calls == Counter({"orders.get_by_exchange_id": 1, "orders.get": 1})

"""Stream recovery applies what a backfill finds in batches, with the per-event outcome of one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from recovery_world import QUANTITY, World, eventually, make_world

from galfriday.domain.events import ExecutionReported
from galfriday.domain.executions import Execution
from galfriday.domain.order_status import OrderStatus
from galfriday.errors import ConflictingExecutionError
from galfriday.ports.stores import Store
from galfriday.services.stream_recovery import BATCH_SIZE, StreamRecovery


class CountingStore:
    """The world's store, counting the units of work opened through it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.units_of_work = 0

    def unit_of_work(self) -> Any:
        self.units_of_work += 1
        return self._store.unit_of_work()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class ExtraTrades:
    """The world's exchange account, whose trade history also holds `extra` (an impossible fill)."""

    def __init__(self, world: World, extra: Execution) -> None:
        self._exchange = world.exchange
        self._extra = extra

    async def trades_since(self, since: datetime) -> list[Execution]:
        return [*await self._exchange.trades_since(since), self._extra]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._exchange, name)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built = await make_world()
    yield built
    await built.exchange.close()


def recovery_for(world: World, *, store: Any = None, account: Any = None) -> StreamRecovery:
    return StreamRecovery(
        account or world.exchange,
        world.exchange,
        world.tracker,
        store or world.store,
        world.clock,
        poll_interval=60.0,
        retry_delay=0.01,
    )


async def fills_while_away(world: World, fills: int) -> Any:
    """An order acknowledged on the stream, then `fills` fills of it while the stream is down."""
    recovery = recovery_for(world)
    await recovery.start()
    order = await world.submit()
    await eventually(lambda: world.stored_order(order.client_order_id), "the order stored")
    await eventually(_acknowledged(world, order.client_order_id), "the stream acknowledging the order")
    await recovery.close()
    world.exchange.disconnect()
    for _ in range(fills):
        await world.fill_against(order, QUANTITY / fills)
    return order


def _acknowledged(world: World, client_order_id: str) -> Any:
    async def check() -> bool:
        order = await world.stored_order(client_order_id)
        return order is not None and order.exchange_order_id is not None

    return check


async def test_a_backfill_applies_its_fills_in_one_unit_of_work_not_one_each(world: World) -> None:
    order = await fills_while_away(world, 40)
    counting = CountingStore(world.store)
    recovery = recovery_for(world, store=counting)

    report = await recovery.backfill("reconnect")

    assert report.executions_new == 40
    assert report.refused == 0
    stored = await world.stored_order(order.client_order_id)
    assert stored is not None
    assert (stored.status, stored.filled_quantity) == (OrderStatus.FILLED, QUANTITY)
    assert counting.units_of_work < 40
    assert BATCH_SIZE > 40  # one batch: the fills, then the order reports and balances


async def test_a_refused_fill_is_counted_and_the_others_are_still_applied(world: World) -> None:
    order = await fills_while_away(world, 4)
    [first, *_] = await world.exchange.trades_since(order.created_at)
    overfill = attrs.evolve(first, exec_id="T-IMPOSSIBLE", quantity=QUANTITY * 10)
    recovery = recovery_for(world, account=ExtraTrades(world, overfill))

    report = await recovery.backfill("reconnect")

    assert report.refused == 1
    stored = await world.stored_order(order.client_order_id)
    assert stored is not None
    assert (stored.status, stored.filled_quantity) == (OrderStatus.FILLED, QUANTITY)
    assert {e.exec_id for e in await world.stored_executions()} == {
        e.exec_id for e in await world.exchange.trades_since(order.created_at)
    }


async def test_a_stream_fill_that_contradicts_the_stored_one_is_an_error_not_skipped(world: World) -> None:
    recovery = recovery_for(world)
    order = await world.submit()
    await world.fill_against(order)
    [fill] = await world.exchange.trades_since(order.created_at)
    await recovery.apply(ExecutionReported(fill))

    with pytest.raises(ConflictingExecutionError):
        await recovery.apply(ExecutionReported(attrs.evolve(fill, price=fill.price + Decimal(1))))

    assert await world.stored_executions() == [fill]

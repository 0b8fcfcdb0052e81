"""The `Store` contract: what every store adapter (memory, SQLite, Postgres, a plugin's) must honour.

Subclass `StoreContract` in a test module and provide a fixture named `store` that yields a started, empty
store and closes it afterwards; every `test_*` method below then runs against your adapter::

    class TestMyStore(StoreContract):
        @pytest_asyncio.fixture
        async def store(self) -> AsyncIterator[Store]:
            store = MyStore(dsn=...)  # a fresh, empty database per test
            await store.start()
            yield store
            await store.close()

The suite speaks only through the ports in `galfriday.ports.stores` and asserts only what they promise.
Each test states one behaviour; its name is the specification. Tests are marked for pytest-asyncio, so the
suite runs in its strict mode as well as in auto mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import attrs
import pytest
import pytest_asyncio

from galfriday.domain.journal import JournalEntry
from galfriday.domain.models import ModelAliasChange, ModelStage, ModelVersion
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.domain.retention import RetentionRun, RetentionRunStatus
from galfriday.errors import DuplicateKeyError, NotFoundError, UnitOfWorkError
from galfriday.ports.stores import Store, UnitOfWork
from galfriday.testing import samples
from galfriday.testing.audit_store_contract import AuditStoreContract
from galfriday.testing.samples import instant
from galfriday.testing.store_assertions import (
    EXACT_AMOUNTS,
    ODD_INSTANT,
    DeliberateError,
    assert_same_decimal,
    assert_same_utc_instant,
    read,
    write,
)

T = TypeVar("T")

CONCURRENCY_TIMEOUT = 30
"""Seconds before a test of concurrent units of work fails: a deadlocking adapter fails instead of hanging."""


async def write_one_of_everything(uow: UnitOfWork) -> None:
    """One write to each of the eight repositories."""
    await uow.orders.add(samples.order("order-1"))
    await uow.executions.add(samples.execution("exec-1"))
    await uow.balances.save(samples.balance("USD"))
    await uow.positions.save(samples.position("BTC/USD"))
    await uow.candles.upsert_many([samples.candle(instant(0))])
    await uow.models.register(**samples.model_registration("alpha"))
    await uow.journal.append(samples.journal_entry())
    await uow.retention_runs.record(samples.retention_run("run-1"))


async def what_is_stored(uow: UnitOfWork) -> dict[str, object]:
    """What `write_one_of_everything` would leave behind, repository by repository."""
    return {
        "orders": await uow.orders.get("order-1"),
        "executions": await uow.executions.get("exec-1"),
        "balances": await uow.balances.all(),
        "positions": await uow.positions.all(),
        "candles": await uow.candles.latest("BTC/USD", 60),
        "models": [version.key for version in await uow.models.versions("alpha")],
        "journal": [entry.payload for entry in await uow.journal.read()],
        "retention_runs": [run.id for run in await uow.retention_runs.recent()],
    }


async def change_one_of_everything(uow: UnitOfWork) -> None:
    """Replace, add to, or delete what `write_one_of_everything` and an alias to version 1 left behind."""
    await uow.orders.save(samples.filled_order("order-1", exchange_order_id="OX-7"))
    await uow.executions.add(samples.execution("exec-2", timestamp=instant(-10)))
    await uow.balances.save(samples.balance("USD", total=Decimal("1"), available=Decimal("1")))
    await uow.balances.save(samples.balance("BTC"))
    await uow.positions.save(samples.position("BTC/USD", quantity=Decimal("-3")))
    await uow.candles.upsert_many(
        [samples.candle(instant(0), volume=Decimal("0")), samples.candle(instant(-60))]
    )
    await uow.models.set_stage("alpha", 1, ModelStage.ARCHIVED)
    await uow.models.register(**samples.model_registration("alpha"))
    await _set_alias(uow, "alpha", "prod", 2, at=instant(60))
    await uow.journal.delete_before(instant(1))
    await uow.journal.append(samples.journal_entry("later", received_at=instant(2)))
    await uow.retention_runs.record(samples.retention_run("run-2", started_at=instant(60)))


async def everything_readable(uow: UnitOfWork) -> dict[str, object]:
    """Every row of every repository that the changes above could touch, through the ports' reads."""
    return {
        "orders": await uow.orders.list_updated_since(instant(-3600)),
        "order by OX-7": await uow.orders.get_by_exchange_id("OX-7"),
        "executions": await uow.executions.since(instant(-3600)),
        "executions of OX-1": await uow.executions.for_order("OX-1"),
        "latest execution": await uow.executions.latest(),
        "balances": await uow.balances.all(),
        "positions": await uow.positions.all(),
        "latest candle": await uow.candles.latest("BTC/USD", 60),
        "candles": await uow.candles.range("BTC/USD", 60, instant(-3600), instant(3600)),
        "models": await uow.models.versions("alpha"),
        "alias": await uow.models.alias("alpha", "prod"),
        "alias history": await uow.models.alias_history("alpha"),
        "journal": await uow.journal.read(),
        "retention runs": await uow.retention_runs.recent(),
    }


NOTHING_STORED: dict[str, object] = {
    "orders": None,
    "executions": None,
    "balances": [],
    "positions": [],
    "candles": None,
    "models": [],
    "journal": [],
    "retention_runs": [],
}

EVERYTHING_STORED: dict[str, object] = {
    "orders": samples.order("order-1"),
    "executions": samples.execution("exec-1"),
    "balances": [samples.balance("USD")],
    "positions": [samples.position("BTC/USD")],
    "candles": samples.candle(instant(0)),
    "models": [("alpha", 1)],
    "journal": [samples.journal_entry().payload],
    "retention_runs": ["run-1"],
}

REPOSITORY_CALLS: dict[str, Callable[[UnitOfWork], Awaitable[object]]] = {
    "orders": lambda uow: uow.orders.get("order-1"),
    "executions": lambda uow: uow.executions.get("exec-1"),
    "balances": lambda uow: uow.balances.all(),
    "positions": lambda uow: uow.positions.all(),
    "candles": lambda uow: uow.candles.latest("BTC/USD", 60),
    "models": lambda uow: uow.models.versions("alpha"),
    "journal": lambda uow: uow.journal.read(),
    "retention_runs": lambda uow: uow.retention_runs.recent(),
}
"""One harmless call per repository, to prove each refuses use outside its unit of work."""

ORDER_READS: dict[str, Callable[[UnitOfWork], Awaitable[Order | None]]] = {
    "get": lambda uow: uow.orders.get("order-2"),
    "get_by_exchange_id": lambda uow: uow.orders.get_by_exchange_id("OX-2"),
    "list_open": lambda uow: _first(uow.orders.list_open()),
    "list_updated_since": lambda uow: _first(uow.orders.list_updated_since(samples.T0)),
}
"""Every way to read the order `order-2` (exchange id `OX-2`) when it is the only one stored."""

each_repository = pytest.mark.parametrize("repository", sorted(REPOSITORY_CALLS))
each_exact_amount = pytest.mark.parametrize("text", EXACT_AMOUNTS)


class StoreContract(AuditStoreContract):
    """Subclass me and provide a `store` fixture (a started, empty store, closed after the test).

    The tests of the audit repositories (reconciliations, experiments, predictions, stage history) come from
    `AuditStoreContract`.
    """

    pytestmark = pytest.mark.asyncio

    @pytest_asyncio.fixture
    def store(self) -> AsyncIterator[Store]:
        """Override me: an async generator fixture yielding a started, empty `Store` and closing it after."""
        pytest.fail(f"{type(self).__name__} must define a `store` fixture yielding a started, empty Store")

    # --- unit of work: commit, rollback, isolation ---------------------------------------------------------

    async def test_committed_writes_are_visible_to_a_later_unit_of_work(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1")))
        assert await read(store, lambda uow: uow.orders.get("order-1")) == samples.order("order-1")

    async def test_a_unit_of_work_reads_its_own_uncommitted_writes(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.orders.add(samples.order("order-1"))
            assert await uow.orders.get("order-1") == samples.order("order-1")

    async def test_leaving_without_commit_discards_the_writes(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.orders.add(samples.order("order-1"))
        assert await read(store, lambda uow: uow.orders.get("order-1")) is None

    async def test_an_exception_discards_the_writes_and_propagates(self, store: Store) -> None:
        async def add_then_fail() -> None:
            async with store.unit_of_work() as uow:
                await uow.orders.add(samples.order("order-1"))
                raise DeliberateError

        with pytest.raises(DeliberateError):
            await add_then_fail()
        assert await read(store, lambda uow: uow.orders.get("order-1")) is None

    async def test_an_explicit_rollback_discards_the_writes(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.orders.add(samples.order("order-1"))
            await uow.rollback()
        assert await read(store, lambda uow: uow.orders.get("order-1")) is None

    async def test_commit_persists_the_writes_to_every_repository_together(self, store: Store) -> None:
        await write(store, write_one_of_everything)
        assert await read(store, what_is_stored) == EVERYTHING_STORED

    async def test_an_exception_discards_the_writes_to_every_repository(self, store: Store) -> None:
        async def write_everything_then_fail() -> None:
            async with store.unit_of_work() as uow:
                await write_one_of_everything(uow)
                raise DeliberateError

        with pytest.raises(DeliberateError):
            await write_everything_then_fail()
        assert await read(store, what_is_stored) == NOTHING_STORED

    async def test_leaving_without_commit_restores_every_changed_or_deleted_row(self, store: Store) -> None:
        await write(store, write_one_of_everything)
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 1))
        before = await read(store, everything_readable)
        async with store.unit_of_work() as uow:
            await change_one_of_everything(uow)
            assert await everything_readable(uow) != before
        assert await read(store, everything_readable) == before

    async def test_a_rollback_keeps_what_earlier_units_committed(self, store: Store) -> None:
        await write(store, lambda uow: uow.balances.save(samples.balance("USD")))
        async with store.unit_of_work() as uow:
            await uow.balances.save(samples.balance("USD", total=Decimal("1"), available=Decimal("1")))
        assert await read(store, lambda uow: uow.balances.get("USD")) == samples.balance("USD")

    async def test_uncommitted_writes_are_invisible_to_a_concurrent_unit_of_work(self, store: Store) -> None:
        written = asyncio.Event()

        async def writer() -> None:
            async with store.unit_of_work() as uow:
                await uow.orders.add(samples.order("order-1"))
                written.set()
                for _ in range(20):
                    await asyncio.sleep(0)

        async def reader() -> object:
            await written.wait()
            return await read(store, lambda uow: uow.orders.get("order-1"))

        async with asyncio.timeout(CONCURRENCY_TIMEOUT):
            _, seen = await asyncio.gather(writer(), reader())
        assert seen is None

    @each_repository
    async def test_a_repository_refuses_use_before_its_unit_of_work_is_entered(
        self, store: Store, repository: str
    ) -> None:
        uow = store.unit_of_work()
        with pytest.raises(UnitOfWorkError):
            await REPOSITORY_CALLS[repository](uow)

    @each_repository
    async def test_a_repository_refuses_use_after_commit(self, store: Store, repository: str) -> None:
        async with store.unit_of_work() as uow:
            await uow.commit()
            with pytest.raises(UnitOfWorkError):
                await REPOSITORY_CALLS[repository](uow)

    @each_repository
    async def test_a_repository_refuses_use_after_rollback(self, store: Store, repository: str) -> None:
        async with store.unit_of_work() as uow:
            await uow.rollback()
            with pytest.raises(UnitOfWorkError):
                await REPOSITORY_CALLS[repository](uow)

    @each_repository
    async def test_a_repository_refuses_use_after_its_block(self, store: Store, repository: str) -> None:
        async with store.unit_of_work() as uow:
            pass
        with pytest.raises(UnitOfWorkError):
            await REPOSITORY_CALLS[repository](uow)

    async def test_committing_twice_is_refused(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.commit()
            with pytest.raises(UnitOfWorkError):
                await uow.commit()

    # --- orders ------------------------------------------------------------------------------------------

    async def test_an_order_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        order = samples.filled_order("order-2", exec_ids=("fill-a", "fill-b"))
        await write(store, lambda uow: uow.orders.add(order))
        assert await read(store, lambda uow: uow.orders.get("order-2")) == order

    async def test_adding_an_order_with_a_taken_client_order_id_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1")))
        with pytest.raises(DuplicateKeyError) as raised:
            await write(store, lambda uow: uow.orders.add(samples.order("order-1", quantity=Decimal("2"))))
        assert (raised.value.entity, raised.value.key) == ("order", "order-1")

    async def test_a_refused_duplicate_order_leaves_the_first_unchanged(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1")))
        with pytest.raises(DuplicateKeyError):
            await write(store, lambda uow: uow.orders.add(samples.order("order-1", quantity=Decimal("2"))))
        assert await read(store, lambda uow: uow.orders.get("order-1")) == samples.order("order-1")

    async def test_saving_a_new_order_inserts_it(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.save(samples.order("order-1")))
        assert await read(store, lambda uow: uow.orders.get("order-1")) == samples.order("order-1")

    async def test_saving_an_order_replaces_the_one_with_its_client_order_id(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1")))
        changed = samples.filled_order("order-1")
        await write(store, lambda uow: uow.orders.save(changed))
        assert await read(store, lambda uow: uow.orders.get("order-1")) == changed

    async def test_getting_an_unknown_order_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.orders.get("nobody")) is None

    async def test_an_order_is_found_by_its_exchange_order_id(self, store: Store) -> None:
        order = samples.filled_order("order-2", exchange_order_id="OX-2")
        await write(store, lambda uow: uow.orders.add(order))
        assert await read(store, lambda uow: uow.orders.get_by_exchange_id("OX-2")) == order

    async def test_an_exchange_order_id_assigned_by_a_later_save_finds_the_order(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1")))
        acked = samples.order("order-1").apply_status("new", instant(1), exchange_order_id="OX-9").order
        await write(store, lambda uow: uow.orders.save(acked))
        assert await read(store, lambda uow: uow.orders.get_by_exchange_id("OX-9")) == acked

    async def test_an_order_is_no_longer_found_by_an_exchange_order_id_it_lost(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.orders.add(samples.filled_order("order-2", exchange_order_id="OX-2"))
        )
        moved = samples.filled_order("order-2", exchange_order_id="OX-3")
        await write(store, lambda uow: uow.orders.save(moved))
        assert await read(store, lambda uow: uow.orders.get_by_exchange_id("OX-2")) is None
        assert await read(store, lambda uow: uow.orders.get_by_exchange_id("OX-3")) == moved

    async def test_getting_an_unknown_exchange_order_id_returns_none(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.orders.add(samples.filled_order("order-2", exchange_order_id="OX-2"))
        )
        assert await read(store, lambda uow: uow.orders.get_by_exchange_id("OX-404")) is None

    async def test_open_orders_are_the_non_terminal_ones_oldest_first(self, store: Store) -> None:
        orders = [
            samples.order("late", at=instant(30)),
            samples.order("early", at=instant(10)),
            samples.order("done", at=instant(5), status=OrderStatus.FILLED),
            samples.order("cancelled", at=instant(6), status=OrderStatus.CANCELED),
            samples.order("unknown", at=instant(20), status=OrderStatus.UNKNOWN),
            samples.order("rejected", at=instant(7), status=OrderStatus.REJECTED),
            samples.order("expired", at=instant(8), status=OrderStatus.EXPIRED),
        ]
        await write(store, lambda uow: _add_all(uow, orders))
        listed = await read(store, lambda uow: uow.orders.list_open())
        assert [o.client_order_id for o in listed] == ["early", "unknown", "late"]

    async def test_open_orders_created_at_the_same_instant_are_ordered_by_client_order_id(
        self, store: Store
    ) -> None:
        orders = [samples.order(cid, at=instant(1)) for cid in ("b", "c", "a")]
        await write(store, lambda uow: _add_all(uow, orders))
        listed = await read(store, lambda uow: uow.orders.list_open())
        assert [o.client_order_id for o in listed] == ["a", "b", "c"]

    async def test_open_orders_can_be_limited_to_one_symbol(self, store: Store) -> None:
        orders = [samples.order("btc"), samples.order("eth", symbol="ETH/USD")]
        await write(store, lambda uow: _add_all(uow, orders))
        listed = await read(store, lambda uow: uow.orders.list_open("ETH/USD"))
        assert listed == [samples.order("eth", symbol="ETH/USD")]

    async def test_orders_updated_since_include_the_boundary_oldest_update_first(self, store: Store) -> None:
        orders = [
            samples.order("o-late", updated_at=instant(30)),
            samples.order("o-before", updated_at=instant(9)),
            samples.order("o-boundary", updated_at=instant(10)),
            samples.order("o-terminal", updated_at=instant(20), status=OrderStatus.FILLED),
        ]
        await write(store, lambda uow: _add_all(uow, orders))
        listed = await read(store, lambda uow: uow.orders.list_updated_since(instant(10)))
        assert [o.client_order_id for o in listed] == ["o-boundary", "o-terminal", "o-late"]

    async def test_orders_updated_at_one_instant_are_ordered_by_client_order_id(self, store: Store) -> None:
        orders = [samples.order(cid, updated_at=instant(5)) for cid in ("b", "a")]
        await write(store, lambda uow: _add_all(uow, orders))
        listed = await read(store, lambda uow: uow.orders.list_updated_since(instant(0)))
        assert [o.client_order_id for o in listed] == ["a", "b"]

    @pytest.mark.parametrize("how", sorted(ORDER_READS))
    async def test_changing_a_read_orders_fees_does_not_change_the_stored_order(
        self, store: Store, how: str
    ) -> None:
        order = samples.filled_order("order-2", exchange_order_id="OX-2")
        await write(store, lambda uow: uow.orders.add(order))
        first = await read(store, ORDER_READS[how])
        assert first is not None
        first.fees["USD"] = Decimal("999")
        assert await read(store, ORDER_READS[how]) == order

    async def test_changing_an_orders_fees_after_saving_does_not_change_the_stored_order(
        self, store: Store
    ) -> None:
        order = samples.filled_order("order-2")
        await write(store, lambda uow: uow.orders.save(order))
        order.fees["USD"] = Decimal("999")
        assert await read(store, lambda uow: uow.orders.get("order-2")) == samples.filled_order("order-2")

    # --- executions --------------------------------------------------------------------------------------

    async def test_an_execution_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        fill = samples.execution("exec-1", client_order_id="order-1")
        await write(store, lambda uow: uow.executions.add(fill))
        assert await read(store, lambda uow: uow.executions.get("exec-1")) == fill

    async def test_adding_a_new_execution_returns_true(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            assert await uow.executions.add(samples.execution("exec-1")) is True

    async def test_adding_the_identical_execution_again_returns_false(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        async with store.unit_of_work() as uow:
            assert await uow.executions.add(samples.execution("exec-1")) is False

    async def test_adding_the_identical_execution_again_changes_nothing(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        assert await read(store, lambda uow: uow.executions.since(instant(-1))) == [
            samples.execution("exec-1")
        ]

    async def test_a_different_execution_under_a_used_exec_id_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        different = samples.execution("exec-1", quantity=Decimal("0.2"))
        with pytest.raises(DuplicateKeyError) as raised:
            await write(store, lambda uow: uow.executions.add(different))
        assert (raised.value.entity, raised.value.key) == ("execution", "exec-1")

    async def test_a_refused_different_execution_leaves_the_first_unchanged(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        with pytest.raises(DuplicateKeyError):
            await write(
                store, lambda uow: uow.executions.add(samples.execution("exec-1", price=Decimal("1")))
            )
        assert await read(store, lambda uow: uow.executions.get("exec-1")) == samples.execution("exec-1")

    async def test_adding_a_batch_counts_only_the_new_executions(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        batch = [samples.execution("exec-1"), samples.execution("exec-2"), samples.execution("exec-3")]
        async with store.unit_of_work() as uow:
            assert await uow.executions.add_many(batch) == 2
            await uow.commit()
        assert await read(store, lambda uow: uow.executions.since(instant(-1))) == batch

    async def test_a_batch_that_repeats_an_execution_stores_and_counts_it_once(self, store: Store) -> None:
        batch = [samples.execution("exec-1"), samples.execution("exec-1")]
        async with store.unit_of_work() as uow:
            assert await uow.executions.add_many(batch) == 1
            await uow.commit()
        assert await read(store, lambda uow: uow.executions.since(instant(-1))) == [
            samples.execution("exec-1")
        ]

    async def test_a_batch_with_a_conflicting_execution_raises_duplicate_key(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        batch = [samples.execution("exec-2"), samples.execution("exec-1", fee=Decimal("0"))]
        with pytest.raises(DuplicateKeyError):
            await write(store, lambda uow: uow.executions.add_many(batch))

    async def test_getting_an_unknown_execution_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.executions.get("nothing")) is None

    async def test_executions_of_an_order_are_only_its_own_oldest_first(self, store: Store) -> None:
        fills = [
            samples.execution("x-late", order_id="OX-1", timestamp=instant(20)),
            samples.execution("x-other", order_id="OX-2", timestamp=instant(15)),
            samples.execution("x-early", order_id="OX-1", timestamp=instant(10)),
        ]
        await write(store, lambda uow: uow.executions.add_many(fills))
        listed = await read(store, lambda uow: uow.executions.for_order("OX-1"))
        assert [e.exec_id for e in listed] == ["x-early", "x-late"]

    async def test_executions_of_an_order_at_one_instant_are_ordered_by_exec_id(self, store: Store) -> None:
        fills = [samples.execution(exec_id, timestamp=instant(5)) for exec_id in ("x-b", "x-c", "x-a")]
        await write(store, lambda uow: uow.executions.add_many(fills))
        listed = await read(store, lambda uow: uow.executions.for_order("OX-1"))
        assert [e.exec_id for e in listed] == ["x-a", "x-b", "x-c"]

    async def test_executions_of_an_unknown_order_are_empty(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution("exec-1")))
        assert await read(store, lambda uow: uow.executions.for_order("OX-404")) == []

    async def test_executions_since_include_the_boundary_oldest_first(self, store: Store) -> None:
        fills = [
            samples.execution("x-late", timestamp=instant(30)),
            samples.execution("x-before", timestamp=instant(9)),
            samples.execution("x-boundary", timestamp=instant(10), order_id="OX-2"),
        ]
        await write(store, lambda uow: uow.executions.add_many(fills))
        listed = await read(store, lambda uow: uow.executions.since(instant(10)))
        assert [e.exec_id for e in listed] == ["x-boundary", "x-late"]

    async def test_executions_since_at_the_same_instant_are_ordered_by_exec_id(self, store: Store) -> None:
        fills = [samples.execution(exec_id, timestamp=instant(5)) for exec_id in ("x-b", "x-a")]
        await write(store, lambda uow: uow.executions.add_many(fills))
        listed = await read(store, lambda uow: uow.executions.since(instant(0)))
        assert [e.exec_id for e in listed] == ["x-a", "x-b"]

    async def test_the_latest_execution_is_the_most_recent_by_timestamp(self, store: Store) -> None:
        fills = [
            samples.execution("x-2", timestamp=instant(20)),
            samples.execution("x-3", timestamp=instant(30)),
            samples.execution("x-1", timestamp=instant(10)),
        ]
        await write(store, lambda uow: uow.executions.add_many(fills))
        assert await read(store, lambda uow: uow.executions.latest()) == fills[1]

    async def test_there_is_no_latest_execution_in_an_empty_store(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.executions.latest()) is None

    # --- balances and positions --------------------------------------------------------------------------

    async def test_a_balance_reads_back_equal_to_what_was_saved(self, store: Store) -> None:
        await write(store, lambda uow: uow.balances.save(samples.balance("BTC")))
        assert await read(store, lambda uow: uow.balances.get("BTC")) == samples.balance("BTC")

    async def test_saving_a_balance_replaces_the_one_of_its_asset(self, store: Store) -> None:
        newer = samples.balance("BTC", total=Decimal("3"), available=Decimal("2"), updated_at=instant(60))
        await write(store, lambda uow: uow.balances.save(samples.balance("BTC")))
        await write(store, lambda uow: uow.balances.save(newer))
        assert await read(store, lambda uow: uow.balances.all()) == [newer]

    async def test_getting_an_unknown_balance_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.balances.get("DOGE")) is None

    async def test_all_balances_are_ordered_by_asset_code(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            for asset in ("USD", "BTC", "ETH"):
                await uow.balances.save(samples.balance(asset))
            await uow.commit()
        listed = await read(store, lambda uow: uow.balances.all())
        assert [b.asset for b in listed] == ["BTC", "ETH", "USD"]

    async def test_a_position_reads_back_equal_to_what_was_saved(self, store: Store) -> None:
        await write(store, lambda uow: uow.positions.save(samples.position("ETH/USD")))
        assert await read(store, lambda uow: uow.positions.get("ETH/USD")) == samples.position("ETH/USD")

    async def test_saving_a_position_replaces_the_one_of_its_symbol(self, store: Store) -> None:
        newer = samples.position("BTC/USD", quantity=Decimal("-0.5"), updated_at=instant(60))
        await write(store, lambda uow: uow.positions.save(samples.position("BTC/USD")))
        await write(store, lambda uow: uow.positions.save(newer))
        assert await read(store, lambda uow: uow.positions.all()) == [newer]

    async def test_getting_an_unknown_position_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.positions.get("DOGE/USD")) is None

    async def test_all_positions_are_ordered_by_symbol(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            for symbol in ("SOL/USD", "BTC/USD", "ETH/USD"):
                await uow.positions.save(samples.position(symbol))
            await uow.commit()
        listed = await read(store, lambda uow: uow.positions.all())
        assert [p.symbol for p in listed] == ["BTC/USD", "ETH/USD", "SOL/USD"]

    # --- candles -----------------------------------------------------------------------------------------

    async def test_a_candle_reads_back_equal_to_what_was_written(self, store: Store) -> None:
        await write(store, lambda uow: uow.candles.upsert_many([samples.candle(instant(0))]))
        assert await read(store, lambda uow: uow.candles.latest("BTC/USD", 60)) == samples.candle(instant(0))

    async def test_upserting_candles_returns_how_many_were_written(self, store: Store) -> None:
        bars = [samples.candle(instant(60 * i)) for i in range(3)]
        async with store.unit_of_work() as uow:
            assert await uow.candles.upsert_many(bars) == 3

    async def test_upserting_a_candle_with_a_used_key_replaces_it(self, store: Store) -> None:
        replacement = samples.candle(
            instant(0), close=Decimal("30000.5"), volume=Decimal("99"), trade_count=7
        )
        await write(store, lambda uow: uow.candles.upsert_many([samples.candle(instant(0))]))
        await write(store, lambda uow: uow.candles.upsert_many([replacement]))
        listed = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(60)))
        assert listed == [replacement]

    async def test_re_ingesting_a_range_replaces_every_candle_and_counts_them(self, store: Store) -> None:
        first = [samples.candle(instant(60 * i)) for i in range(4)]
        again = [samples.candle(instant(60 * i), volume=Decimal(i)) for i in range(4)]
        await write(store, lambda uow: uow.candles.upsert_many(first))
        async with store.unit_of_work() as uow:
            assert await uow.candles.upsert_many(again) == 4
            await uow.commit()
        listed = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(240)))
        assert listed == again

    async def test_a_candle_range_includes_start_excludes_end_oldest_first(self, store: Store) -> None:
        bars = [samples.candle(instant(60 * i)) for i in (4, 0, 3, 1, 2)]
        await write(store, lambda uow: uow.candles.upsert_many(bars))
        listed = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(60), instant(180)))
        assert [c.open_time for c in listed] == [instant(60), instant(120)]

    async def test_day_counts_count_candles_per_symbol_and_utc_day_before_a_cutoff(
        self, store: Store
    ) -> None:
        day = timedelta(days=1)
        midnight = datetime(2026, 1, 5, tzinfo=UTC)
        bars = [
            samples.candle(midnight - day + timedelta(hours=23)),
            samples.candle(midnight),
            samples.candle(midnight + timedelta(hours=5)),
            samples.candle(midnight + timedelta(hours=5), symbol="ETH/USD"),
            samples.candle(midnight + timedelta(hours=5), interval_seconds=300),
            samples.candle(midnight + day),
        ]
        await write(store, lambda uow: uow.candles.upsert_many(bars))
        counts = await read(store, lambda uow: uow.candles.day_counts(60, midnight + day))
        assert [(c.symbol, c.day, c.rows) for c in counts] == [
            ("BTC/USD", (midnight - day).date(), 1),
            ("BTC/USD", midnight.date(), 2),
            ("ETH/USD", midnight.date(), 1),
        ]
        assert all(c.interval_seconds == 60 for c in counts)

    async def test_deleting_a_candle_range_removes_only_that_range_and_counts_it(self, store: Store) -> None:
        bars = [samples.candle(instant(60 * i)) for i in range(5)]
        bars.append(samples.candle(instant(60), symbol="ETH/USD"))
        await write(store, lambda uow: uow.candles.upsert_many(bars))
        async with store.unit_of_work() as uow:
            assert await uow.candles.delete_range("BTC/USD", 60, instant(60), instant(180)) == 2
            await uow.commit()
        left = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(600)))
        assert [c.open_time for c in left] == [instant(0), instant(180), instant(240)]
        assert await read(store, lambda uow: uow.candles.latest("ETH/USD", 60)) is not None

    async def test_a_rolled_back_candle_deletion_leaves_every_candle(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.candles.upsert_many([samples.candle(instant(60 * i)) for i in range(3)])
        )
        async with store.unit_of_work() as uow:
            await uow.candles.delete_range("BTC/USD", 60, instant(0), instant(600))
        left = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(600)))
        assert len(left) == 3

    async def test_dropping_expired_partitions_keeps_every_newer_candle(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.candles.upsert_many([samples.candle(instant(60 * i)) for i in range(3)])
        )
        async with store.unit_of_work() as uow:
            dropped = await uow.candles.drop_expired_partitions(instant(0) - timedelta(days=400))
            await uow.commit()
        assert isinstance(dropped, list)
        left = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(600)))
        assert len(left) == 3

    async def test_a_candle_range_holds_only_its_symbol_and_interval(self, store: Store) -> None:
        bars = [
            samples.candle(instant(0)),
            samples.candle(instant(0), symbol="ETH/USD"),
            samples.candle(instant(0), interval_seconds=300),
        ]
        await write(store, lambda uow: uow.candles.upsert_many(bars))
        listed = await read(store, lambda uow: uow.candles.range("BTC/USD", 60, instant(0), instant(60)))
        assert listed == [samples.candle(instant(0))]

    async def test_the_latest_candle_is_the_last_opened_of_its_series(self, store: Store) -> None:
        bars = [
            samples.candle(instant(120)),
            samples.candle(instant(600), symbol="ETH/USD"),
            samples.candle(instant(900), interval_seconds=300),
            samples.candle(instant(60)),
        ]
        await write(store, lambda uow: uow.candles.upsert_many(bars))
        assert await read(store, lambda uow: uow.candles.latest("BTC/USD", 60)) == samples.candle(
            instant(120)
        )

    async def test_there_is_no_latest_candle_for_an_unknown_series(self, store: Store) -> None:
        await write(store, lambda uow: uow.candles.upsert_many([samples.candle(instant(0))]))
        assert await read(store, lambda uow: uow.candles.latest("BTC/USD", 3600)) is None

    # --- model versions and aliases ----------------------------------------------------------------------

    async def test_the_first_version_of_a_model_is_1_and_the_next_is_2(self, store: Store) -> None:
        first = await _register(store, "alpha")
        second = await _register(store, "alpha")
        assert (first.version, second.version) == (1, 2)

    async def test_model_versions_are_numbered_per_name(self, store: Store) -> None:
        numbers = [(await _register(store, name)).key for name in ("alpha", "beta", "alpha", "beta", "beta")]
        assert numbers == [("alpha", 1), ("beta", 1), ("alpha", 2), ("beta", 2), ("beta", 3)]

    async def test_concurrent_registrations_get_versions_1_to_n_without_gaps_or_repeats(
        self, store: Store
    ) -> None:
        async with asyncio.timeout(CONCURRENCY_TIMEOUT):
            registered = await asyncio.gather(
                *(_register(store, "alpha", artifact_uri=f"memory://alpha/{i}.onnx") for i in range(20))
            )
        assert sorted(v.version for v in registered) == list(range(1, 21))
        stored = await read(store, lambda uow: uow.models.versions("alpha"))
        assert stored == sorted(registered, key=lambda v: v.version)

    async def test_a_registered_version_reads_back_equal_to_what_register_gave(self, store: Store) -> None:
        registered = await _register(store, "alpha", parent_version=None)
        child = await _register(store, "alpha", parent_version=1, created_at=instant(60))
        assert await read(store, lambda uow: uow.models.get("alpha", 1)) == registered
        assert await read(store, lambda uow: uow.models.get("alpha", 2)) == child

    async def test_register_returns_what_it_was_given(self, store: Store) -> None:
        await _register(store, "alpha")
        arguments = samples.model_registration("alpha", parent_version=1, created_at=instant(60))
        registered = await _register(store, **arguments)
        assert attrs.asdict(registered, recurse=False) == {
            **arguments,
            "version": 2,
            "stage": ModelStage.DEVELOPMENT,
        }

    async def test_a_new_version_starts_in_development(self, store: Store) -> None:
        assert (await _register(store, "alpha")).stage is ModelStage.DEVELOPMENT

    async def test_getting_an_unknown_version_returns_none(self, store: Store) -> None:
        await _register(store, "alpha")
        assert await read(store, lambda uow: uow.models.get("alpha", 2)) is None
        assert await read(store, lambda uow: uow.models.get("beta", 1)) is None

    async def test_versions_are_listed_in_version_order(self, store: Store) -> None:
        for offset in (30, 10, 20):
            await _register(store, "alpha", created_at=instant(offset))
        listed = await read(store, lambda uow: uow.models.versions("alpha"))
        assert [v.version for v in listed] == [1, 2, 3]

    async def test_an_unknown_model_has_no_versions(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.models.versions("nothing")) == []

    async def test_set_stage_moves_the_version_and_returns_it(self, store: Store) -> None:
        registered = await _register(store, "alpha")
        async with store.unit_of_work() as uow:
            moved = await uow.models.set_stage("alpha", 1, ModelStage.PRODUCTION)
            await uow.commit()
        assert moved == attrs.evolve(registered, stage=ModelStage.PRODUCTION)
        assert await read(store, lambda uow: uow.models.get("alpha", 1)) == moved

    async def test_set_stage_leaves_the_other_versions_alone(self, store: Store) -> None:
        first = await _register(store, "alpha")
        await _register(store, "alpha")
        await write(store, lambda uow: uow.models.set_stage("alpha", 2, ModelStage.STAGING))
        assert await read(store, lambda uow: uow.models.get("alpha", 1)) == first

    async def test_set_stage_of_an_unknown_version_raises_not_found(self, store: Store) -> None:
        await _register(store, "alpha")
        with pytest.raises(NotFoundError):
            await write(store, lambda uow: uow.models.set_stage("alpha", 2, ModelStage.STAGING))

    async def test_an_alias_points_at_the_version_it_was_set_to(self, store: Store) -> None:
        await _register(store, "alpha")
        await _register(store, "alpha")
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 2))
        assert await read(store, lambda uow: uow.models.alias("alpha", "prod")) == 2

    async def test_setting_an_alias_to_none_removes_it(self, store: Store) -> None:
        await _register(store, "alpha")
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 1))
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", None, at=instant(60)))
        assert await read(store, lambda uow: uow.models.alias("alpha", "prod")) is None

    async def test_an_alias_never_set_points_nowhere(self, store: Store) -> None:
        await _register(store, "alpha")
        assert await read(store, lambda uow: uow.models.alias("alpha", "prod")) is None

    async def test_set_alias_returns_the_move_from_the_previous_version(self, store: Store) -> None:
        for _ in range(2):
            await _register(store, "alpha")
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 1))
        async with store.unit_of_work() as uow:
            change = await uow.models.set_alias(
                "alpha", "prod", 2, at=instant(60), actor="alice", reason="better sharpe"
            )
        assert (change.name, change.alias, change.from_version, change.to_version) == ("alpha", "prod", 1, 2)
        assert (change.at, change.actor, change.reason) == (instant(60), "alice", "better sharpe")

    async def test_the_alias_history_records_every_move_oldest_first(self, store: Store) -> None:
        for _ in range(2):
            await _register(store, "alpha")
        changes = []
        for offset, version in ((10, 1), (20, 2), (30, None)):
            async with store.unit_of_work() as uow:
                changes.append(await _set_alias(uow, "alpha", "prod", version, at=instant(offset)))
                await uow.commit()
        history = await read(store, lambda uow: uow.models.alias_history("alpha", "prod"))
        assert history == changes
        assert [(c.from_version, c.to_version) for c in history] == [(None, 1), (1, 2), (2, None)]

    async def test_the_alias_history_without_an_alias_holds_every_alias_of_a_model(
        self, store: Store
    ) -> None:
        await _register(store, "alpha")
        await _register(store, "beta")
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 1, at=instant(10)))
        await write(store, lambda uow: _set_alias(uow, "beta", "prod", 1, at=instant(15)))
        await write(store, lambda uow: _set_alias(uow, "alpha", "shadow", 1, at=instant(20)))
        history = await read(store, lambda uow: uow.models.alias_history("alpha"))
        assert [(c.name, c.alias) for c in history] == [("alpha", "prod"), ("alpha", "shadow")]

    async def test_a_rolled_back_alias_move_leaves_no_history(self, store: Store) -> None:
        await _register(store, "alpha")
        async with store.unit_of_work() as uow:
            await _set_alias(uow, "alpha", "prod", 1)
        assert await read(store, lambda uow: uow.models.alias_history("alpha")) == []
        assert await read(store, lambda uow: uow.models.alias("alpha", "prod")) is None

    async def test_changing_a_read_versions_metadata_does_not_change_the_store(self, store: Store) -> None:
        registered = await _register(store, "alpha")
        registered.metadata["rows"] = 0
        registered.metadata["params"]["depth"] = 99
        stored = await read(store, lambda uow: uow.models.get("alpha", 1))
        assert stored is not None
        assert stored.metadata == samples.model_registration()["metadata"]

    async def test_changing_metadata_given_to_register_does_not_change_the_store(self, store: Store) -> None:
        metadata = samples.model_registration()["metadata"]
        await _register(store, "alpha", metadata=metadata)
        metadata["params"]["depth"] = 99
        stored = await read(store, lambda uow: uow.models.get("alpha", 1))
        assert stored is not None
        assert stored.metadata == samples.model_registration()["metadata"]

    # --- journal -----------------------------------------------------------------------------------------

    async def test_append_returns_the_entry_with_its_assigned_sequence(self, store: Store) -> None:
        entry = samples.journal_entry()
        async with store.unit_of_work() as uow:
            appended = await uow.journal.append(entry)
        assert appended.sequence is not None
        assert appended == attrs.evolve(entry, sequence=appended.sequence)

    async def test_a_journal_entry_reads_back_equal_to_what_append_returned(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            appended = await uow.journal.append(samples.journal_entry('{"unicode": "√ €"}'))
            await uow.commit()
        assert await read(store, lambda uow: uow.journal.read()) == [appended]

    async def test_sequences_strictly_increase_across_units_of_work(self, store: Store) -> None:
        for payload in ("a", "b", "c"):
            await write(store, _appender(samples.journal_entry(payload)))
        entries = await read(store, lambda uow: uow.journal.read())
        sequences = [entry.sequence or 0 for entry in entries]
        assert [entry.payload for entry in entries] == ["a", "b", "c"]
        assert sequences == sorted(set(sequences))

    async def test_committed_sequences_strictly_increase_across_a_rollback(self, store: Store) -> None:
        await write(store, lambda uow: uow.journal.append(samples.journal_entry("first")))
        async with store.unit_of_work() as uow:
            await uow.journal.append(samples.journal_entry("discarded"))
        await write(store, lambda uow: uow.journal.append(samples.journal_entry("second")))
        entries = await read(store, lambda uow: uow.journal.read())
        assert [e.payload for e in entries] == ["first", "second"]
        assert (entries[0].sequence or 0) < (entries[1].sequence or 0)

    async def test_append_many_returns_how_many_were_appended_in_order(self, store: Store) -> None:
        entries = [samples.journal_entry(f"m{i}", received_at=instant(i)) for i in range(5)]
        async with store.unit_of_work() as uow:
            assert await uow.journal.append_many(entries) == 5
            await uow.commit()
        read_back = await read(store, lambda uow: uow.journal.read())
        assert [attrs.evolve(e, sequence=None) for e in read_back] == entries

    async def test_reading_after_a_sequence_returns_only_later_entries(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.journal.append_many(samples.journal_entry(f"m{i}") for i in range(5))
        )
        every = await read(store, lambda uow: uow.journal.read())
        after = await read(store, lambda uow: uow.journal.read(after_sequence=every[1].sequence or 0))
        assert after == every[2:]

    async def test_reading_the_journal_returns_at_most_limit_entries(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.journal.append_many(samples.journal_entry(f"m{i}") for i in range(5))
        )
        every = await read(store, lambda uow: uow.journal.read())
        assert await read(store, lambda uow: uow.journal.read(limit=2)) == every[:2]

    async def test_delete_before_deletes_strictly_older_entries_and_counts_them(self, store: Store) -> None:
        entries = [samples.journal_entry(f"m{i}", received_at=instant(i)) for i in (0, 1, 2, 3)]
        await write(store, lambda uow: uow.journal.append_many(entries))
        async with store.unit_of_work() as uow:
            assert await uow.journal.delete_before(instant(2)) == 2
            await uow.commit()
        kept = await read(store, lambda uow: uow.journal.read())
        assert [e.payload for e in kept] == ["m2", "m3"]

    async def test_delete_before_with_nothing_older_deletes_nothing(self, store: Store) -> None:
        await write(store, lambda uow: uow.journal.append(samples.journal_entry(received_at=instant(5))))
        async with store.unit_of_work() as uow:
            assert await uow.journal.delete_before(instant(5)) == 0

    async def test_sequences_are_not_reused_after_delete_before(self, store: Store) -> None:
        await write(
            store, lambda uow: uow.journal.append(samples.journal_entry("old", received_at=instant(0)))
        )
        before = await read(store, lambda uow: uow.journal.read())
        await write(store, lambda uow: uow.journal.delete_before(instant(1)))
        await write(
            store, lambda uow: uow.journal.append(samples.journal_entry("new", received_at=instant(2)))
        )
        after = await read(store, lambda uow: uow.journal.read())
        assert [e.payload for e in after] == ["new"]
        assert (after[0].sequence or 0) > (before[0].sequence or 0)

    # --- retention runs ----------------------------------------------------------------------------------

    async def test_a_retention_run_reads_back_equal_to_what_was_recorded(self, store: Store) -> None:
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        assert await read(store, lambda uow: uow.retention_runs.recent()) == [samples.retention_run("run-1")]

    async def test_a_failed_retention_run_without_an_archive_reads_back_equal(self, store: Store) -> None:
        failed = samples.retention_run(
            "run-1", status=RetentionRunStatus.FAILED, archived_rows=0, deleted_rows=0, archive_path=None
        )
        await write(store, lambda uow: uow.retention_runs.record(failed))
        assert await read(store, lambda uow: uow.retention_runs.recent()) == [failed]

    async def test_recording_the_identical_retention_run_again_changes_nothing(self, store: Store) -> None:
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        assert await read(store, lambda uow: uow.retention_runs.recent()) == [samples.retention_run("run-1")]

    async def test_a_different_retention_run_under_a_used_id_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        different = samples.retention_run("run-1", deleted_rows=7)
        with pytest.raises(DuplicateKeyError) as raised:
            await write(store, lambda uow: uow.retention_runs.record(different))
        assert (raised.value.entity, raised.value.key) == ("retention run", "run-1")

    async def test_a_refused_retention_run_leaves_the_first_unchanged(self, store: Store) -> None:
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        with pytest.raises(DuplicateKeyError):
            await write(
                store,
                lambda uow: uow.retention_runs.record(samples.retention_run("run-1", archive_path=None)),
            )
        assert await read(store, lambda uow: uow.retention_runs.recent()) == [samples.retention_run("run-1")]

    async def test_a_refused_retention_run_leaves_the_unit_of_work_usable(self, store: Store) -> None:
        await write(store, lambda uow: uow.retention_runs.record(samples.retention_run("run-1")))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.retention_runs.record(samples.retention_run("run-1", deleted_rows=7))
            await uow.retention_runs.record(samples.retention_run("run-2", started_at=instant(60)))
            await uow.commit()
        listed = await read(store, lambda uow: uow.retention_runs.recent())
        assert [run.id for run in listed] == ["run-2", "run-1"]

    async def test_recent_retention_runs_are_newest_first(self, store: Store) -> None:
        runs = [samples.retention_run(f"run-{offset}", started_at=instant(offset)) for offset in (20, 30, 10)]
        await write(store, lambda uow: _record_all(uow, runs))
        listed = await read(store, lambda uow: uow.retention_runs.recent())
        assert [run.id for run in listed] == ["run-30", "run-20", "run-10"]

    async def test_recent_retention_runs_started_together_are_ordered_by_id_descending(
        self, store: Store
    ) -> None:
        runs = [samples.retention_run(run_id) for run_id in ("b", "c", "a")]
        await write(store, lambda uow: _record_all(uow, runs))
        listed = await read(store, lambda uow: uow.retention_runs.recent())
        assert [run.id for run in listed] == ["c", "b", "a"]

    async def test_recent_returns_at_most_limit_retention_runs(self, store: Store) -> None:
        runs = [samples.retention_run(f"run-{offset}", started_at=instant(offset)) for offset in range(5)]
        await write(store, lambda uow: _record_all(uow, runs))
        listed = await read(store, lambda uow: uow.retention_runs.recent(limit=2))
        assert [run.id for run in listed] == ["run-4", "run-3"]
        assert await read(store, lambda uow: uow.retention_runs.recent(limit=0)) == []

    async def test_there_are_no_recent_retention_runs_in_an_empty_store(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.retention_runs.recent()) == []

    async def test_a_rolled_back_retention_run_is_not_recorded(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.retention_runs.record(samples.retention_run("run-1"))
            assert await uow.retention_runs.recent() == [samples.retention_run("run-1")]
        assert await read(store, lambda uow: uow.retention_runs.recent()) == []

    async def test_a_retention_run_id_freed_by_a_rollback_can_be_recorded_anew(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await uow.retention_runs.record(samples.retention_run("run-1"))
        changed = samples.retention_run("run-1", deleted_rows=7)
        await write(store, lambda uow: uow.retention_runs.record(changed))
        assert await read(store, lambda uow: uow.retention_runs.recent()) == [changed]

    # --- exact values: Decimal form and UTC instants --------------------------------------------------------

    @each_exact_amount
    async def test_order_amounts_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        amount = Decimal(text)
        order = samples.order("order-1", quantity=amount, limit_price=amount, fees={"USD": amount})
        await write(store, lambda uow: uow.orders.add(order))
        stored = await read(store, lambda uow: uow.orders.get("order-1"))
        assert stored is not None
        assert stored.limit_price is not None
        for actual in (stored.quantity, stored.limit_price, stored.fees["USD"]):
            assert_same_decimal(actual, amount)

    @each_exact_amount
    async def test_execution_amounts_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        amount = Decimal(text)
        await write(
            store,
            lambda uow: uow.executions.add(samples.execution(quantity=amount, price=amount, fee=amount)),
        )
        stored = await read(store, lambda uow: uow.executions.get("exec-1"))
        assert stored is not None
        for actual in (stored.quantity, stored.price, stored.fee):
            assert_same_decimal(actual, amount)

    @each_exact_amount
    async def test_balance_amounts_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        amount = Decimal(text)
        await write(
            store, lambda uow: uow.balances.save(samples.balance("BTC", total=amount, available=amount))
        )
        stored = await read(store, lambda uow: uow.balances.get("BTC"))
        assert stored is not None
        assert_same_decimal(stored.total, amount)
        assert_same_decimal(stored.available, amount)

    @each_exact_amount
    async def test_position_amounts_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        amount = Decimal(text)
        held = samples.position(quantity=-amount, average_cost=amount, realized_pnl=-amount)
        await write(store, lambda uow: uow.positions.save(held))
        stored = await read(store, lambda uow: uow.positions.get("BTC/USD"))
        assert stored is not None
        assert_same_decimal(stored.quantity, -amount)
        assert_same_decimal(stored.average_cost, amount)
        assert_same_decimal(stored.realized_pnl, -amount)

    @each_exact_amount
    async def test_candle_amounts_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        amount = Decimal(text)
        bar = samples.candle(open=amount, high=amount, low=amount, close=amount, volume=amount)
        await write(store, lambda uow: uow.candles.upsert_many([bar]))
        stored = await read(store, lambda uow: uow.candles.latest("BTC/USD", 60))
        assert stored is not None
        for actual in (stored.open, stored.high, stored.low, stored.close, stored.volume):
            assert_same_decimal(actual, amount)

    async def test_order_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, lambda uow: uow.orders.add(samples.order("order-1", at=ODD_INSTANT)))
        stored = await read(store, lambda uow: uow.orders.get("order-1"))
        assert stored is not None
        assert_same_utc_instant(stored.created_at, ODD_INSTANT)
        assert_same_utc_instant(stored.updated_at, ODD_INSTANT)

    async def test_execution_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, lambda uow: uow.executions.add(samples.execution(timestamp=ODD_INSTANT)))
        stored = await read(store, lambda uow: uow.executions.get("exec-1"))
        assert stored is not None
        assert_same_utc_instant(stored.timestamp, ODD_INSTANT)

    async def test_balance_and_position_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        async def save_both(uow: UnitOfWork) -> None:
            await uow.balances.save(samples.balance(updated_at=ODD_INSTANT))
            await uow.positions.save(samples.position(updated_at=ODD_INSTANT))

        await write(store, save_both)
        balance = await read(store, lambda uow: uow.balances.get("USD"))
        position = await read(store, lambda uow: uow.positions.get("BTC/USD"))
        assert balance is not None
        assert position is not None
        assert_same_utc_instant(balance.updated_at, ODD_INSTANT)
        assert_same_utc_instant(position.updated_at, ODD_INSTANT)

    async def test_candle_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, lambda uow: uow.candles.upsert_many([samples.candle(ODD_INSTANT)]))
        listed = await read(
            store,
            lambda uow: uow.candles.range(
                "BTC/USD", 60, ODD_INSTANT, ODD_INSTANT + timedelta(microseconds=1)
            ),
        )
        assert len(listed) == 1
        assert_same_utc_instant(listed[0].open_time, ODD_INSTANT)

    async def test_model_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await _register(store, "alpha", created_at=ODD_INSTANT)
        await write(store, lambda uow: _set_alias(uow, "alpha", "prod", 1, at=ODD_INSTANT))
        stored = await read(store, lambda uow: uow.models.get("alpha", 1))
        history = await read(store, lambda uow: uow.models.alias_history("alpha"))
        assert stored is not None
        assert_same_utc_instant(stored.created_at, ODD_INSTANT)
        assert_same_utc_instant(history[0].at, ODD_INSTANT)

    async def test_journal_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, lambda uow: uow.journal.append(samples.journal_entry(received_at=ODD_INSTANT)))
        entries = await read(store, lambda uow: uow.journal.read())
        assert_same_utc_instant(entries[0].received_at, ODD_INSTANT)

    async def test_retention_run_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        run = samples.retention_run(cutoff=ODD_INSTANT, started_at=ODD_INSTANT, finished_at=ODD_INSTANT)
        await write(store, lambda uow: uow.retention_runs.record(run))
        (stored,) = await read(store, lambda uow: uow.retention_runs.recent())
        for actual in (stored.cutoff, stored.started_at, stored.finished_at):
            assert_same_utc_instant(actual, ODD_INSTANT)

    async def test_instants_compare_as_instants_whatever_zone_they_were_given_in(self, store: Store) -> None:
        in_utc = ODD_INSTANT.astimezone(UTC)
        fills = [
            samples.execution("x-zoned", timestamp=ODD_INSTANT),
            samples.execution("x-later", timestamp=in_utc + timedelta(microseconds=1)),
        ]
        await write(store, lambda uow: uow.executions.add_many(fills))
        listed = await read(store, lambda uow: uow.executions.since(in_utc))
        assert [e.exec_id for e in listed] == ["x-zoned", "x-later"]


# --- helpers -----------------------------------------------------------------------------------------------


async def _first(listing: Awaitable[list[T]]) -> T | None:
    found = await listing
    return found[0] if found else None


def _appender(entry: JournalEntry) -> Callable[[UnitOfWork], Awaitable[object]]:
    return lambda uow: uow.journal.append(entry)


async def _add_all(uow: UnitOfWork, orders: list[Order]) -> None:
    for order in orders:
        await uow.orders.add(order)


async def _record_all(uow: UnitOfWork, runs: list[RetentionRun]) -> None:
    for run in runs:
        await uow.retention_runs.record(run)


async def _register(store: Store, name: str = "alpha", **changes: object) -> ModelVersion:
    """Register one version of `name` in its own committed unit of work."""
    async with store.unit_of_work() as uow:
        registered = await uow.models.register(**samples.model_registration(name, **changes))
        await uow.commit()
    return registered


async def _set_alias(
    uow: UnitOfWork, name: str, alias: str, version: int | None, *, at: datetime = samples.T0
) -> ModelAliasChange:
    return await uow.models.set_alias(name, alias, version, at=at, actor="tester", reason="contract suite")

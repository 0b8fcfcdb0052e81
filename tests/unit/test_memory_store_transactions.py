"""Specification of what the memory store adds to the store contract: serialised units of work."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from galfriday.adapters.memory.store import MemoryStore
from galfriday.errors import DuplicateKeyError, NotFoundError
from galfriday.testing import samples


async def test_units_of_work_run_one_at_a_time() -> None:
    store = MemoryStore()
    trace: list[str] = []

    async def unit(name: str) -> None:
        async with store.unit_of_work():
            trace.append(f"{name} in")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            trace.append(f"{name} out")

    await asyncio.gather(unit("a"), unit("b"), unit("c"))
    assert trace == ["a in", "a out", "b in", "b out", "c in", "c out"]


async def test_concurrent_read_modify_write_units_lose_no_update() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("BTC", total=Decimal(0), available=Decimal(0)))
        await uow.commit()

    async def deposit_one() -> None:
        async with store.unit_of_work() as uow:
            current = await uow.balances.get("BTC")
            assert current is not None
            await asyncio.sleep(0)
            total = current.total + 1
            await uow.balances.save(samples.balance("BTC", total=total, available=total))
            await uow.commit()

    await asyncio.gather(*(deposit_one() for _ in range(25)))
    async with store.unit_of_work() as uow:
        final = await uow.balances.get("BTC")
    assert final is not None
    assert final.total == 25


async def test_commit_lets_the_next_unit_of_work_in_before_the_block_ends() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        await uow.commit()
        async with asyncio.timeout(1), store.unit_of_work() as later:
            assert await later.balances.get("USD") == samples.balance("USD")


async def test_a_cancelled_unit_of_work_rolls_back_and_frees_the_store() -> None:
    store = MemoryStore()
    inside = asyncio.Event()

    async def slow_writer() -> None:
        async with store.unit_of_work() as uow:
            await uow.balances.save(samples.balance("USD"))
            inside.set()
            await asyncio.sleep(10)
            await uow.commit()

    task = asyncio.create_task(slow_writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(1), store.unit_of_work() as uow:
        assert await uow.balances.get("USD") is None


async def test_a_refused_batch_writes_none_of_its_executions() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        await uow.executions.add(samples.execution("exec-1"))
        with pytest.raises(DuplicateKeyError):
            await uow.executions.add_many([samples.execution("exec-2"), samples.execution("exec-1", fee=0)])
        await uow.commit()
    async with store.unit_of_work() as uow:
        assert await uow.executions.get("exec-2") is None
        assert await uow.executions.get("exec-1") == samples.execution("exec-1")


async def test_pointing_an_alias_at_an_unknown_version_is_refused() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        await uow.models.register(**samples.model_registration("alpha"))
        with pytest.raises(NotFoundError) as raised:
            await uow.models.set_alias("alpha", "prod", 2, at=samples.T0, actor="tester", reason="typo")
    assert raised.value.key == ("alpha", 2)


async def test_journal_sequences_are_not_reused_after_a_rollback() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        discarded = await uow.journal.append(samples.journal_entry("discarded"))
    async with store.unit_of_work() as uow:
        kept = await uow.journal.append(samples.journal_entry("kept"))
    assert (kept.sequence or 0) > (discarded.sequence or 0)


async def test_an_order_keeps_its_exchange_id_index_through_a_rolled_back_move() -> None:
    store = MemoryStore()
    async with store.unit_of_work() as uow:
        await uow.orders.add(samples.filled_order("order-2", exchange_order_id="OX-2"))
        await uow.commit()
    async with store.unit_of_work() as uow:
        await uow.orders.save(samples.filled_order("order-2", exchange_order_id="OX-3"))
    async with store.unit_of_work() as uow:
        assert await uow.orders.get_by_exchange_id("OX-2") == samples.filled_order("order-2")
        assert await uow.orders.get_by_exchange_id("OX-3") is None

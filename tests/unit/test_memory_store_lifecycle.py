"""Specification of the memory store's lifecycle: usable at once, closed for good until started again."""

from __future__ import annotations

import asyncio

import pytest

from galfriday.adapters.memory.store import MemoryStore
from galfriday.errors import UnitOfWorkError
from galfriday.ports.stores import Store
from galfriday.testing import samples


async def _save_usd(store: Store) -> None:
    async with store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        await uow.commit()


async def _usd(store: Store) -> object:
    async with store.unit_of_work() as uow:
        return await uow.balances.get("USD")


async def test_a_new_store_is_usable_without_start() -> None:
    store = MemoryStore()
    await _save_usd(store)
    assert await _usd(store) == samples.balance("USD")


async def test_a_closed_store_refuses_new_units_of_work() -> None:
    store = MemoryStore()
    await store.close()
    with pytest.raises(UnitOfWorkError, match="closed"):
        store.unit_of_work()


async def test_a_unit_of_work_made_before_close_cannot_be_entered_after_it() -> None:
    store = MemoryStore()
    uow = store.unit_of_work()
    await store.close()
    with pytest.raises(UnitOfWorkError, match="closed"):
        await uow.__aenter__()


async def test_close_lets_the_unit_of_work_in_progress_finish_and_commit() -> None:
    store = MemoryStore()
    inside = asyncio.Event()

    async def writer() -> None:
        async with store.unit_of_work() as uow:
            inside.set()
            await asyncio.sleep(0.01)
            await uow.balances.save(samples.balance("USD"))
            await uow.commit()

    task = asyncio.create_task(writer())
    await inside.wait()
    await store.close()
    assert task.done()
    await task
    await store.start()
    assert await _usd(store) == samples.balance("USD")


async def test_a_unit_of_work_waiting_for_the_store_when_it_closes_is_refused() -> None:
    store = MemoryStore()
    inside = asyncio.Event()

    async def holder() -> None:
        async with store.unit_of_work():
            inside.set()
            await asyncio.sleep(0.01)

    async def waiter() -> None:
        await inside.wait()
        async with store.unit_of_work():
            pass

    held = asyncio.create_task(holder())
    waiting = asyncio.create_task(waiter())
    await inside.wait()
    await asyncio.sleep(0)
    await store.close()
    await held
    with pytest.raises(UnitOfWorkError, match="closed"):
        await waiting


async def test_start_reopens_a_closed_store_with_its_committed_data() -> None:
    store = MemoryStore()
    await _save_usd(store)
    await store.close()
    await store.start()
    assert await _usd(store) == samples.balance("USD")


async def test_closing_inside_a_unit_of_work_is_refused_rather_than_deadlocking() -> None:
    store = MemoryStore()
    async with store.unit_of_work(), asyncio.timeout(1):
        with pytest.raises(UnitOfWorkError, match="inside a unit of work"):
            await store.close()


async def test_closing_twice_is_harmless() -> None:
    store = MemoryStore()
    await store.close()
    await store.close()
    with pytest.raises(UnitOfWorkError):
        store.unit_of_work()


async def test_a_unit_of_work_is_entered_only_once() -> None:
    store = MemoryStore()
    uow = store.unit_of_work()
    async with uow:
        pass
    with pytest.raises(UnitOfWorkError, match="entered once"):
        async with uow:
            pass

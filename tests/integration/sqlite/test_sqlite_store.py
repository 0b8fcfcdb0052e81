"""The SQLite store's own promises beyond the contract: durable settings, lifecycle, monitoring, and units of
work that stay serialised across processes sharing one file."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.errors import ConfigurationError, StoreError, UnitOfWorkError
from galfriday.testing import samples

FULL = 2
"""`PRAGMA synchronous` reports FULL as 2."""


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.db")
    await store.start()
    yield store
    await store.close()


async def save_usd(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        await uow.commit()


async def test_the_connection_is_wal_fully_synchronous_with_foreign_keys(store: SqliteStore) -> None:
    assert await store.pragmas() == {
        "journal_mode": "wal",
        "synchronous": FULL,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


async def test_a_store_refuses_units_of_work_before_start(tmp_path: Path) -> None:
    with pytest.raises(UnitOfWorkError, match="start"):
        SqliteStore(tmp_path / "new.db").unit_of_work()


async def test_a_closed_store_refuses_units_of_work(store: SqliteStore) -> None:
    await store.close()
    with pytest.raises(UnitOfWorkError, match="not open"):
        store.unit_of_work()


async def test_a_restarted_store_keeps_what_was_committed(store: SqliteStore) -> None:
    await save_usd(store)
    await store.close()
    await store.start()
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("USD") == samples.balance("USD")


async def test_close_lets_the_unit_of_work_in_progress_commit(store: SqliteStore) -> None:
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
    await task
    await store.start()
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("USD") == samples.balance("USD")


async def test_closing_inside_a_unit_of_work_is_refused(store: SqliteStore) -> None:
    async with store.unit_of_work():
        with pytest.raises(UnitOfWorkError, match="inside a unit of work"):
            await store.close()


async def test_without_auto_migrate_an_unmigrated_file_is_refused_with_the_command_to_run(
    tmp_path: Path,
) -> None:
    with pytest.raises(StoreError, match="galfriday db migrate"):
        await SqliteStore(tmp_path / "bare.db", auto_migrate=False).start()


async def test_without_auto_migrate_a_migrated_file_opens(store: SqliteStore) -> None:
    await save_usd(store)
    again = SqliteStore(store.path, auto_migrate=False)
    await again.start()
    try:
        async with again.unit_of_work() as uow:
            assert await uow.balances.get("USD") == samples.balance("USD")
    finally:
        await again.close()


@pytest.mark.parametrize("dsn", ["", ":memory:", "file::memory:?cache=shared"])
def test_a_dsn_that_is_not_a_file_is_refused(dsn: str) -> None:
    with pytest.raises(ConfigurationError, match=r"store\.dsn"):
        SqliteStore(dsn)


async def test_a_sqlite_url_names_the_same_file(tmp_path: Path) -> None:
    assert SqliteStore(f"sqlite:///{tmp_path}/x.db").path == tmp_path / "x.db"


async def test_a_missing_parent_directory_is_created(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data" / "nested" / "g.db")
    await store.start()
    await store.close()
    assert store.path.is_file()


async def test_every_repository_call_is_counted_under_its_statement_name(store: SqliteStore) -> None:
    await save_usd(store)
    async with store.unit_of_work() as uow:
        await uow.balances.get("USD")
        await uow.balances.get("BTC")
    stats = store.monitor.snapshot()
    assert stats["balances.save"].count == 1
    assert stats["balances.get"].count == 2
    assert stats["unit_of_work.commit"].count == 1


async def test_retention_run_calls_are_counted_under_their_statement_names(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.retention_runs.record(samples.retention_run())
        await uow.retention_runs.recent()
        await uow.commit()
    stats = store.monitor.snapshot()
    assert (stats["retention_runs.record"].count, stats["retention_runs.recent"].count) == (1, 1)


async def test_a_call_slower_than_the_threshold_is_logged_with_its_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SqliteStore(tmp_path / "slow.db", slow_query_ms=0.0)
    await store.start()
    try:
        with caplog.at_level(logging.WARNING, logger="galfriday.store.queries"):
            async with store.unit_of_work() as uow:
                await uow.orders.get("order-1")
    finally:
        await store.close()
    assert any("slow query orders.get" in record.getMessage() for record in caplog.records)


async def test_a_failed_call_is_counted_as_a_failure(store: SqliteStore) -> None:
    keyless = samples.balance("BTC")
    object.__setattr__(keyless, "asset", None)
    async with store.unit_of_work() as uow:
        with pytest.raises(StoreError):
            await uow.balances.save(keyless)
    assert store.monitor.snapshot()["balances.save"].failures == 1


async def test_a_failed_statement_leaves_the_unit_of_work_usable(store: SqliteStore) -> None:
    await write_and_fail_once(store)
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("USD") == samples.balance("USD")


async def write_and_fail_once(store: SqliteStore) -> None:
    keyless = samples.balance("BTC")
    object.__setattr__(keyless, "asset", None)
    async with store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        with pytest.raises(StoreError):
            await uow.balances.save(keyless)
        await uow.commit()


async def test_two_stores_on_one_file_number_model_versions_without_gaps_or_repeats(tmp_path: Path) -> None:
    """Two connections (as two processes would have) registering at once: BEGIN IMMEDIATE serialises them."""
    stores = [SqliteStore(tmp_path / "shared.db") for _ in range(2)]
    for each in stores:
        await each.start()

    async def register(store: SqliteStore, index: int) -> int:
        async with store.unit_of_work() as uow:
            registered = await uow.models.register(
                **samples.model_registration("alpha", artifact_uri=f"memory://alpha/{index}.onnx")
            )
            await asyncio.sleep(0)
            await uow.commit()
        return registered.version

    try:
        async with asyncio.timeout(30):
            numbers = await asyncio.gather(*(register(stores[i % 2], i) for i in range(20)))
    finally:
        for each in stores:
            await each.close()
    assert sorted(numbers) == list(range(1, 21))


async def test_a_writer_in_another_connection_makes_a_unit_of_work_wait_not_fail(tmp_path: Path) -> None:
    first, second = SqliteStore(tmp_path / "shared.db"), SqliteStore(tmp_path / "shared.db")
    await first.start()
    await second.start()
    try:
        async with first.unit_of_work() as holding:
            await holding.balances.save(samples.balance("USD"))
            waiting = asyncio.create_task(save_usd(second))
            await asyncio.sleep(0.05)
            assert not waiting.done()
            await holding.commit()
        await asyncio.wait_for(waiting, 10)
    finally:
        await first.close()
        await second.close()


async def test_a_unit_of_work_cancelled_mid_way_leaves_nothing_and_the_store_usable(
    store: SqliteStore,
) -> None:
    inside = asyncio.Event()

    async def interrupted() -> None:
        async with store.unit_of_work() as uow:
            await uow.balances.save(samples.balance("USD"))
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(interrupted())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with store.unit_of_work() as uow:
        assert await uow.balances.get("USD") is None


async def test_a_unit_of_work_cancelled_while_waiting_for_the_write_lock_leaves_the_store_usable(
    tmp_path: Path,
) -> None:
    first, second = SqliteStore(tmp_path / "shared.db"), SqliteStore(tmp_path / "shared.db")
    await first.start()
    await second.start()
    try:
        async with first.unit_of_work() as holding:
            waiting = asyncio.create_task(save_usd(second))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await holding.commit()
        await save_usd(second)
        async with first.unit_of_work() as uow:
            assert await uow.balances.get("USD") == samples.balance("USD")
    finally:
        await first.close()
        await second.close()

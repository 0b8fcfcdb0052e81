"""The journal writer: a cheap synchronous hook, batched writes through units of work, nothing lost to a store
that fails for a while, loud drops when the queue is full, and a final flush on close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.journal import JournalEntry
from galfriday.errors import InvalidValueError, StoreError
from galfriday.services.journal_writer import JournalWriter

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)


def frame(n: int) -> tuple[str, str, str, datetime]:
    return ("kraken", "executions", f'{{"n": {n}}}', T0 + timedelta(milliseconds=n))


async def journal(store: MemoryStore) -> list[JournalEntry]:
    async with store.unit_of_work() as uow:
        return await uow.journal.read(limit=100_000)


async def until_written(writer: JournalWriter, count: int) -> None:
    async with asyncio.timeout(2):
        while True:
            if writer.written >= count:
                return
            await asyncio.sleep(0.01)


class FailingStore:
    """A memory store whose next `failures` units of work fail on commit (a database briefly away)."""

    def __init__(self, failures: int) -> None:
        self.inner = MemoryStore()
        self.failures = failures
        self.units = 0

    def unit_of_work(self) -> Any:
        self.units += 1
        uow = self.inner.unit_of_work()
        if self.failures > 0:
            self.failures -= 1

            async def refuse() -> None:
                raise StoreError("database unavailable")

            uow.commit = refuse  # type: ignore[method-assign]
        return uow


async def test_frames_are_written_in_order_with_their_receive_times() -> None:
    store = MemoryStore()
    writer = JournalWriter(store, batch_size=3)
    for n in range(7):
        writer(*frame(n))
    assert await writer.flush() == 7
    entries = await journal(store)
    assert [(e.source, e.channel, e.payload, e.received_at) for e in entries] == [frame(n) for n in range(7)]
    assert [e.sequence for e in entries] == list(range(1, 8))


async def test_writes_go_in_batches_of_batch_size() -> None:
    store = FailingStore(0)
    writer = JournalWriter(store, batch_size=4)  # type: ignore[arg-type]
    for n in range(10):
        writer(*frame(n))
    await writer.flush()
    assert store.units == 3


async def test_the_background_task_writes_a_full_batch_without_waiting_for_the_interval() -> None:
    store = MemoryStore()
    writer = JournalWriter(store, batch_size=5, flush_interval=60)
    await writer.start()
    for n in range(5):
        writer(*frame(n))
    await until_written(writer, 5)
    assert len(await journal(store)) == 5
    await writer.close()


async def test_the_background_task_writes_a_partial_batch_after_the_interval() -> None:
    store = MemoryStore()
    writer = JournalWriter(store, batch_size=1000, flush_interval=0.05)
    await writer.start()
    writer(*frame(1))
    await until_written(writer, 1)
    await writer.close()


async def test_a_failed_batch_stays_queued_and_is_written_later_once() -> None:
    store = FailingStore(1)
    writer = JournalWriter(store, batch_size=2)  # type: ignore[arg-type]
    for n in range(3):
        writer(*frame(n))
    with pytest.raises(StoreError):
        await writer.flush()
    assert writer.pending == 3
    assert await writer.flush() == 3
    assert [e.payload for e in await journal(store.inner)] == [frame(n)[2] for n in range(3)]


async def test_the_background_task_survives_a_failing_store() -> None:
    store = FailingStore(2)
    writer = JournalWriter(store, batch_size=1, flush_interval=0.01)  # type: ignore[arg-type]
    await writer.start()
    writer(*frame(1))
    await until_written(writer, 1)
    assert writer.failures == 2
    await writer.close()
    assert len(await journal(store.inner)) == 1


async def test_a_full_queue_drops_and_counts_the_frame_loudly(caplog: pytest.LogCaptureFixture) -> None:
    writer = JournalWriter(MemoryStore(), capacity=2)
    for n in range(3):
        writer(*frame(n))
    assert writer.pending == 2
    assert writer.dropped == 1
    assert "journal: 1 frames dropped" in caplog.text


async def test_close_writes_what_is_queued() -> None:
    store = MemoryStore()
    writer = JournalWriter(store, flush_interval=60)
    await writer.start()
    for n in range(3):
        writer(*frame(n))
    await writer.close()
    assert len(await journal(store)) == 3
    writer(*frame(4))
    assert writer.dropped == 1


@pytest.mark.parametrize(
    "options", [{"capacity": 0}, {"batch_size": -1}, {"flush_interval": 0}, {"batch_size": True}]
)
def test_impossible_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError):
        JournalWriter(MemoryStore(), **options)

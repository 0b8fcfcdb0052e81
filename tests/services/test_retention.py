"""Retention: expired whole days are archived, verified, then deleted; nothing unarchived is ever deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from galfriday.adapters.memory.archive import MemoryArchive
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.journal import JournalEntry
from galfriday.domain.retention import RetentionPolicy
from galfriday.errors import ArchiveMismatchError
from galfriday.services.retention import RetentionService
from galfriday.testing import samples

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
CANDLES_60_KEEP_2 = RetentionPolicy(table="candles", interval_seconds=60, keep_days=2)
JOURNAL_KEEP_1 = RetentionPolicy(table="raw_journal", keep_days=1)


async def seeded_store() -> MemoryStore:
    """Four days of hourly-spaced 1-minute candles for two symbols, plus one day of 5-minute candles."""
    store = MemoryStore()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    candles = [
        samples.candle(start + timedelta(hours=h), symbol=symbol, interval_seconds=60)
        for symbol in ("BTC/USD", "ETH/USD")
        for h in range(0, 24 * 5, 6)
    ]
    candles += [samples.candle(start + timedelta(hours=h), interval_seconds=300) for h in range(4)]
    journal = [
        JournalEntry(
            source="kraken", channel="executions", received_at=start + timedelta(hours=h), payload=f"m{h}"
        )
        for h in range(0, 24 * 5, 12)
    ]
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many(candles)
        await uow.journal.append_many(journal)
        await uow.commit()
    return store


async def count_candles(store: MemoryStore, interval: int = 60) -> int:
    async with store.unit_of_work() as uow:
        days = await uow.candles.day_counts(interval, NOW + timedelta(days=1))
    return sum(d.rows for d in days)


def service(store: MemoryStore, archive: MemoryArchive, *policies: RetentionPolicy) -> RetentionService:
    return RetentionService(store, archive, ManualClock(NOW), policies)


def test_the_cutoff_keeps_whole_utc_days() -> None:
    assert CANDLES_60_KEEP_2.cutoff(NOW) == datetime(2026, 11, 22, tzinfo=UTC)


async def test_a_plan_lists_each_expired_symbol_day_and_changes_nothing() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    plan = await service(store, archive, CANDLES_60_KEEP_2).plan()
    assert [(a.symbol, a.day.isoformat(), a.rows) for a in plan] == [
        ("BTC/USD", "2026-11-20", 4),
        ("BTC/USD", "2026-11-21", 4),
        ("ETH/USD", "2026-11-20", 4),
        ("ETH/USD", "2026-11-21", 4),
    ]
    assert await count_candles(store) == 40
    assert archive.files == {}


async def test_a_dry_run_reports_the_plan_and_changes_nothing() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    outcomes = await service(store, archive, CANDLES_60_KEEP_2).run(dry_run=True)
    assert len(outcomes) == 4
    assert all(o.deleted_rows == 0 and o.archive_path is None for o in outcomes)
    assert await count_candles(store) == 40


async def test_expired_candles_are_archived_per_symbol_day_then_deleted() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    outcomes = await service(store, archive, CANDLES_60_KEEP_2).run()
    assert [o.archived_rows for o in outcomes] == [4, 4, 4, 4]
    assert [o.deleted_rows for o in outcomes] == [4, 4, 4, 4]
    assert await count_candles(store) == 40 - 16
    archived = archive.files["memory://candles/interval=60/symbol=BTC-USD/date=2026-11-20/part-001"]
    assert len(archived) == 4
    assert all(c.open_time.date().isoformat() == "2026-11-20" for c in archived)


async def test_other_intervals_are_untouched_by_a_policy_for_one_interval() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await service(store, archive, CANDLES_60_KEEP_2).run()
    assert await count_candles(store, interval=300) == 4


async def test_a_second_run_finds_nothing_to_do() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await service(store, archive, CANDLES_60_KEEP_2).run()
    assert await service(store, archive, CANDLES_60_KEEP_2).run() == []


async def test_the_journal_is_archived_per_day_then_deleted() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    outcomes = await service(store, archive, JOURNAL_KEEP_1).run()
    assert [(o.action.day.isoformat(), o.archived_rows) for o in outcomes] == [
        ("2026-11-20", 2),
        ("2026-11-21", 2),
        ("2026-11-22", 2),
    ]
    async with store.unit_of_work() as uow:
        remaining = await uow.journal.read()
    assert [e.payload for e in remaining] == ["m72", "m84", "m96", "m108"]


async def test_a_policy_without_archival_deletes_without_writing_files() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    policy = RetentionPolicy(table="candles", interval_seconds=60, keep_days=2, archive=False)
    outcomes = await service(store, archive, policy).run()
    assert sum(o.deleted_rows for o in outcomes) == 16
    assert archive.files == {}


class ShortArchive(MemoryArchive):
    """An archive that loses a row: the verification must catch it."""

    async def count_rows(self, path: str) -> int:
        return await super().count_rows(path) - 1


async def test_an_archive_that_does_not_hold_every_row_stops_the_deletion() -> None:
    store = await seeded_store()
    with pytest.raises(ArchiveMismatchError, match="holds 3 rows, expected 4"):
        await service(store, ShortArchive(), CANDLES_60_KEEP_2).run()
    assert await count_candles(store) == 40


async def test_exact_amounts_reach_the_archive_unchanged() -> None:
    store, archive = MemoryStore(), MemoryArchive()
    bar = samples.candle(datetime(2026, 11, 1, tzinfo=UTC), interval_seconds=60, volume=Decimal("0.00000001"))
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many([bar])
        await uow.commit()
    await service(store, archive, CANDLES_60_KEEP_2).run()
    (rows,) = archive.files.values()
    assert rows == (bar,)

"""Retention: expired whole days are archived, verified, then deleted; nothing unarchived is ever deleted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from galfriday.adapters.memory.archive import MemoryArchive
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore, MemoryUnitOfWork
from galfriday.domain.journal import JournalEntry
from galfriday.domain.retention import RetentionPolicy, RetentionRun, RetentionRunStatus
from galfriday.errors import ArchiveMismatchError, StoreError
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


# --- the audit record of each run ---------------------------------------------------------------------------


def counting_ids() -> Callable[[], str]:
    """Run ids `run-01`, `run-02`, ...: later runs sort after earlier ones."""
    numbers = count(1)
    return lambda: f"run-{next(numbers):02d}"


def audited(store: MemoryStore, archive: MemoryArchive, *policies: RetentionPolicy) -> RetentionService:
    return RetentionService(store, archive, ManualClock(NOW), policies, new_id=counting_ids())


async def recorded(store: MemoryStore) -> list[RetentionRun]:
    async with store.unit_of_work() as uow:
        return await uow.retention_runs.recent()


class TickingClock(ManualClock):
    """A clock that moves one second on every reading, so each recorded instant is distinct."""

    def now(self) -> datetime:
        return self.advance(1)


async def test_a_run_records_one_successful_run_per_policy_with_its_totals() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await audited(store, archive, CANDLES_60_KEEP_2, JOURNAL_KEEP_1).run()
    assert await recorded(store) == [
        RetentionRun(
            id="run-02",
            table_name="raw_journal",
            cutoff=datetime(2026, 11, 23, tzinfo=UTC),
            archived_rows=6,
            deleted_rows=6,
            archive_path="memory://raw_journal",
            status=RetentionRunStatus.SUCCESS,
            started_at=NOW,
            finished_at=NOW,
        ),
        RetentionRun(
            id="run-01",
            table_name="candles[60s]",
            cutoff=datetime(2026, 11, 22, tzinfo=UTC),
            archived_rows=16,
            deleted_rows=16,
            archive_path="memory://candles/interval=60",
            status=RetentionRunStatus.SUCCESS,
            started_at=NOW,
            finished_at=NOW,
        ),
    ]


async def test_a_run_of_one_archive_file_records_that_file() -> None:
    store, archive = MemoryStore(), MemoryArchive()
    bar = samples.candle(datetime(2026, 11, 1, tzinfo=UTC), interval_seconds=60)
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many([bar])
        await uow.commit()
    await audited(store, archive, CANDLES_60_KEEP_2).run()
    (run,) = await recorded(store)
    assert run.archive_path == "memory://candles/interval=60/symbol=BTC-USD/date=2026-11-01/part-001"


async def test_a_run_is_timed_from_the_start_of_its_policy_to_its_end() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    clock = TickingClock(NOW)
    await RetentionService(store, archive, clock, (CANDLES_60_KEEP_2, JOURNAL_KEEP_1)).run()
    journal, candles = await recorded(store)
    assert candles.started_at < candles.finished_at < journal.started_at < journal.finished_at
    assert journal.finished_at <= clock.now()


async def test_run_ids_are_distinct_uuid4_hex_by_default() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await service(store, archive, CANDLES_60_KEEP_2, JOURNAL_KEEP_1).run()
    ids = [run.id for run in await recorded(store)]
    assert len(set(ids)) == 2
    assert all(uuid.UUID(hex=run_id).version == 4 and len(run_id) == 32 for run_id in ids)


async def test_a_dry_run_records_nothing() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await audited(store, archive, CANDLES_60_KEEP_2, JOURNAL_KEEP_1).run(dry_run=True)
    assert await recorded(store) == []


async def test_a_policy_with_nothing_expired_records_nothing() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    await audited(store, archive, CANDLES_60_KEEP_2).run()
    await audited(store, archive, CANDLES_60_KEEP_2).run()
    assert [run.table_name for run in await recorded(store)] == ["candles[60s]"]


async def test_a_run_without_archival_records_the_deletions_and_no_archive() -> None:
    store, archive = await seeded_store(), MemoryArchive()
    policy = RetentionPolicy(table="candles", interval_seconds=60, keep_days=2, archive=False)
    await audited(store, archive, policy).run()
    (run,) = await recorded(store)
    assert (run.archived_rows, run.deleted_rows, run.archive_path) == (0, 16, None)


class ShortAfter(MemoryArchive):
    """An archive whose files verify until `good` have been read back; then each one loses a row."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good

    async def count_rows(self, path: str) -> int:
        self.good -= 1
        return await super().count_rows(path) - (1 if self.good < 0 else 0)


async def test_a_failed_run_records_what_was_committed_before_the_failure() -> None:
    store = await seeded_store()
    with pytest.raises(ArchiveMismatchError):
        await audited(store, ShortAfter(good=2), CANDLES_60_KEEP_2).run()
    assert await count_candles(store) == 40 - 8
    assert await recorded(store) == [
        RetentionRun(
            id="run-01",
            table_name="candles[60s]",
            cutoff=datetime(2026, 11, 22, tzinfo=UTC),
            archived_rows=8,
            deleted_rows=8,
            archive_path="memory://candles/interval=60/symbol=BTC-USD",
            status=RetentionRunStatus.FAILED,
            started_at=NOW,
            finished_at=NOW,
        )
    ]


async def test_a_failure_is_recorded_although_the_failed_deletion_rolled_back() -> None:
    store = await seeded_store()
    with pytest.raises(ArchiveMismatchError):
        await audited(store, ShortArchive(), CANDLES_60_KEEP_2).run()
    assert await count_candles(store) == 40
    (run,) = await recorded(store)
    assert (run.status, run.archived_rows, run.deleted_rows, run.archive_path) == ("failed", 0, 0, None)


async def test_a_failed_journal_run_records_nothing_deleted() -> None:
    store = await seeded_store()
    with pytest.raises(ArchiveMismatchError):
        await audited(store, ShortAfter(good=2), JOURNAL_KEEP_1).run()
    (run,) = await recorded(store)
    assert (run.table_name, run.status, run.deleted_rows) == ("raw_journal", "failed", 0)


async def test_a_failure_stops_the_run_so_later_policies_record_nothing() -> None:
    store = await seeded_store()
    with pytest.raises(ArchiveMismatchError):
        await audited(store, ShortArchive(), CANDLES_60_KEEP_2, JOURNAL_KEEP_1).run()
    assert [(run.table_name, run.status) for run in await recorded(store)] == [("candles[60s]", "failed")]


class UnrecordingStore(MemoryStore):
    """A memory store whose retention run records always fail."""

    def unit_of_work(self) -> MemoryUnitOfWork:
        uow = super().unit_of_work()
        uow.retention_runs = BrokenRetentionRuns()
        return uow


class BrokenRetentionRuns:
    async def record(self, run: RetentionRun) -> None:
        raise StoreError("retention_runs.record failed: disk full")

    async def recent(self, limit: int = 50) -> list[RetentionRun]:
        return []


async def test_a_failure_that_cannot_be_recorded_still_raises_the_original_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = UnrecordingStore()
    bar = samples.candle(datetime(2026, 11, 1, tzinfo=UTC), interval_seconds=60)
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many([bar])
        await uow.commit()
    with pytest.raises(ArchiveMismatchError):
        await audited(store, ShortArchive(), CANDLES_60_KEEP_2).run()
    assert "disk full" in caplog.text

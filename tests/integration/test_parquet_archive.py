"""The Parquet archive: exact amounts, partitioned paths, row counts read back, never an overwrite."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq

from galfriday.adapters.parquet.archive import ParquetArchive
from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.testing import samples

DAY = date(2026, 11, 20)


def bars() -> list[Candle]:
    volumes = (Decimal("12.34567891"), Decimal("0.10"), Decimal("0.000000000000000001"))
    return [samples.candle(datetime(2026, 11, 20, 0, m, tzinfo=UTC), volume=v) for m, v in enumerate(volumes)]


async def test_candles_are_written_partitioned_by_interval_symbol_and_day(tmp_path: Path) -> None:
    written = await ParquetArchive(tmp_path).write_candles(
        bars(), symbol="BTC/USD", interval_seconds=60, day=DAY
    )
    expected = (
        tmp_path / "candles" / "interval=60" / "symbol=BTC-USD" / "date=2026-11-20" / "part-001.parquet"
    )
    assert Path(written.path) == expected
    assert written.rows == 3
    assert len(written.sha256) == 64


async def test_amounts_and_instants_read_back_exactly(tmp_path: Path) -> None:
    original = bars()
    written = await ParquetArchive(tmp_path).write_candles(
        original, symbol="BTC/USD", interval_seconds=60, day=DAY
    )
    table = pq.read_table(written.path)
    assert table.column("volume").to_pylist() == [c.volume for c in original]
    assert table.column("close").to_pylist() == [c.close for c in original]
    assert table.column("open_time").to_pylist() == [c.open_time for c in original]
    assert table.schema.field("volume").type.scale == 18


async def test_row_counts_are_read_back_from_the_file(tmp_path: Path) -> None:
    archive = ParquetArchive(tmp_path)
    written = await archive.write_candles(bars(), symbol="BTC/USD", interval_seconds=60, day=DAY)
    assert await archive.count_rows(written.path) == 3


async def test_a_second_archive_of_the_same_day_never_overwrites_the_first(tmp_path: Path) -> None:
    archive = ParquetArchive(tmp_path)
    first = await archive.write_candles(bars(), symbol="BTC/USD", interval_seconds=60, day=DAY)
    second = await archive.write_candles(bars()[:1], symbol="BTC/USD", interval_seconds=60, day=DAY)
    assert first.path != second.path
    assert Path(second.path).name == "part-002.parquet"
    assert await archive.count_rows(first.path) == 3


async def test_files_are_compressed_with_zstd(tmp_path: Path) -> None:
    written = await ParquetArchive(tmp_path).write_candles(
        bars(), symbol="BTC/USD", interval_seconds=60, day=DAY
    )
    assert pq.ParquetFile(written.path).metadata.row_group(0).column(0).compression == "ZSTD"


async def test_journal_entries_are_archived_per_day(tmp_path: Path) -> None:
    entries = [
        JournalEntry(
            source="kraken",
            channel="executions",
            received_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
            payload='{"a": 1}',
            sequence=7,
        )
    ]
    written = await ParquetArchive(tmp_path).write_journal(entries, day=DAY)
    table = pq.read_table(written.path)
    assert table.column("sequence").to_pylist() == [7]
    assert table.column("payload").to_pylist() == ['{"a": 1}']
    assert "raw_journal/date=2026-11-20" in written.path


async def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    await ParquetArchive(tmp_path).write_candles(bars(), symbol="BTC/USD", interval_seconds=60, day=DAY)
    leftovers = await asyncio.to_thread(lambda: list(tmp_path.rglob("*.tmp")))
    assert leftovers == []

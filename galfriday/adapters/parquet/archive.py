"""`ParquetArchive`: expiring rows written as zstd-compressed Parquet, one file per symbol and UTC day.

Layout: `<root>/candles/interval=<s>/symbol=<BASE-QUOTE>/date=<YYYY-MM-DD>/part-NNN.parquet` and
`<root>/raw_journal/date=<YYYY-MM-DD>/part-NNN.parquet`. A file is never overwritten: a second archive of the
same day gets the next part number. Files are written under a temporary name, fsynced, then renamed, so a crash
leaves no half-written file under a final name. Amounts are `decimal128(38, 18)`: exact for every amount the
domain produces, and a value needing more places fails loudly instead of being rounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.ports.archive import ArchiveFile

AMOUNT = pa.decimal128(38, 18)
INSTANT = pa.timestamp("us", tz="UTC")

CANDLE_SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("interval_seconds", pa.int32()),
        ("open_time", INSTANT),
        ("open", AMOUNT),
        ("high", AMOUNT),
        ("low", AMOUNT),
        ("close", AMOUNT),
        ("volume", AMOUNT),
        ("trade_count", pa.int64()),
    ]
)

JOURNAL_SCHEMA = pa.schema(
    [
        ("sequence", pa.int64()),
        ("source", pa.string()),
        ("channel", pa.string()),
        ("received_at", INSTANT),
        ("payload", pa.string()),
    ]
)


class ParquetArchive:
    """Writes archive files under `root`; `compression` is any codec pyarrow supports (zstd by default)."""

    def __init__(self, root: str | Path, *, compression: str = "zstd") -> None:
        self.root = Path(root)
        self.compression = compression

    async def write_candles(
        self, candles: Sequence[Candle], *, symbol: str, interval_seconds: int, day: date
    ) -> ArchiveFile:
        columns = {
            "symbol": [c.symbol for c in candles],
            "interval_seconds": [c.interval_seconds for c in candles],
            "open_time": [c.open_time for c in candles],
            "open": [c.open for c in candles],
            "high": [c.high for c in candles],
            "low": [c.low for c in candles],
            "close": [c.close for c in candles],
            "volume": [c.volume for c in candles],
            "trade_count": [c.trade_count for c in candles],
        }
        folder = (
            self.root
            / "candles"
            / f"interval={interval_seconds}"
            / f"symbol={symbol.replace('/', '-')}"
            / f"date={day.isoformat()}"
        )
        return await asyncio.to_thread(self._write, pa.table(columns, schema=CANDLE_SCHEMA), folder)

    async def write_journal(self, entries: Sequence[JournalEntry], *, day: date) -> ArchiveFile:
        columns = {
            "sequence": [e.sequence for e in entries],
            "source": [e.source for e in entries],
            "channel": [e.channel for e in entries],
            "received_at": [e.received_at for e in entries],
            "payload": [e.payload for e in entries],
        }
        folder = self.root / "raw_journal" / f"date={day.isoformat()}"
        return await asyncio.to_thread(self._write, pa.table(columns, schema=JOURNAL_SCHEMA), folder)

    async def count_rows(self, path: str) -> int:
        return await asyncio.to_thread(lambda: int(pq.ParquetFile(path).metadata.num_rows))

    def _write(self, table: pa.Table, folder: Path) -> ArchiveFile:
        folder.mkdir(parents=True, exist_ok=True)
        taken = {p.name for p in folder.glob("part-*.parquet")}
        number = next(n for n in range(1, len(taken) + 2) if f"part-{n:03d}.parquet" not in taken)
        final = folder / f"part-{number:03d}.parquet"
        temporary = folder / f".{final.name}.tmp"
        pq.write_table(table, temporary, compression=self.compression)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        os.replace(temporary, final)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return ArchiveFile(path=str(final), rows=int(pq.ParquetFile(final).metadata.num_rows), sha256=digest)

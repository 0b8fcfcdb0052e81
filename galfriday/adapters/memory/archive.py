"""`MemoryArchive`: archive files kept in memory, for tests and embedding apps without a filesystem."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.errors import NotFoundError
from galfriday.ports.archive import ArchiveFile


class MemoryArchive:
    """Keeps each written "file" as the tuple of rows it holds; never overwrites one."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[Candle, ...] | tuple[JournalEntry, ...]] = {}

    async def write_candles(
        self, candles: Sequence[Candle], *, symbol: str, interval_seconds: int, day: date
    ) -> ArchiveFile:
        folder = f"memory://candles/interval={interval_seconds}/symbol={symbol.replace('/', '-')}/date={day}"
        return self._write(folder, tuple(candles))

    async def write_journal(self, entries: Sequence[JournalEntry], *, day: date) -> ArchiveFile:
        return self._write(f"memory://raw_journal/date={day}", tuple(entries))

    async def count_rows(self, path: str) -> int:
        try:
            return len(self.files[path])
        except KeyError:
            raise NotFoundError("archive file", path) from None

    def _write(self, folder: str, rows: tuple[Candle, ...] | tuple[JournalEntry, ...]) -> ArchiveFile:
        number = 1 + sum(1 for path in self.files if path.startswith(folder + "/"))
        path = f"{folder}/part-{number:03d}"
        self.files[path] = rows
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        return ArchiveFile(path=path, rows=len(rows), sha256=digest)

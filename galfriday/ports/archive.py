"""The archive port: where expiring rows go before they are deleted (compressed, partitioned files)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from attrs import frozen

from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle


@frozen
class ArchiveFile:
    """A written archive file, with the row count read back from it and the sha256 of its bytes."""

    path: str
    rows: int
    sha256: str


class Archive(Protocol):
    async def write_candles(
        self, candles: Sequence[Candle], *, symbol: str, interval_seconds: int, day: date
    ) -> ArchiveFile:
        """Write one symbol-day of candles; the file is complete and durable when this returns."""
        ...

    async def write_journal(self, entries: Sequence[JournalEntry], *, day: date) -> ArchiveFile:
        """Write one day of raw journal entries."""
        ...

    async def count_rows(self, path: str) -> int:
        """Rows in a written archive file, read back from the file itself."""
        ...

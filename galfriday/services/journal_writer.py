"""The raw message journal, written off the stream's path: a stream's `journal` hook appends each inbound frame
to a bounded in-memory queue (cheap, synchronous, never waits), and a background task writes the queue to the
store's `JournalStore` in batches, one unit of work per batch.

A batch the store refuses stays queued, first in line, and is retried on the next flush: nothing is lost to a
store that is briefly away. What is lost is said loudly: a frame that finds the queue full (the store has been
away for `capacity` frames) is counted in `dropped` and logged as an error. `close()` writes what is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import datetime

from galfriday.domain.journal import JournalEntry
from galfriday.errors import InvalidValueError
from galfriday.ports.stores import Store

__all__ = ["JournalWriter"]

log = logging.getLogger(__name__)

_Row = tuple[str, str, str, datetime]


class JournalWriter:
    """Use the instance itself as the hook: `KrakenStream(..., journal=writer)`; `start()` and `close()` it."""

    def __init__(
        self, store: Store, *, capacity: int = 100_000, batch_size: int = 1_000, flush_interval: float = 0.2
    ) -> None:
        for name, value in (("capacity", capacity), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidValueError(name, value, "a positive whole number of entries")
        if not flush_interval > 0:
            raise InvalidValueError("flush_interval", flush_interval, "a positive number of seconds")
        self._store = store
        self.capacity = capacity
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._queue: deque[_Row] = deque()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.written = 0
        self.dropped = 0
        self.failures = 0

    def __repr__(self) -> str:
        return f"JournalWriter(pending={len(self._queue)}, written={self.written}, dropped={self.dropped})"

    @property
    def pending(self) -> int:
        return len(self._queue)

    # --- the hook -------------------------------------------------------------------------------------

    def __call__(self, source: str, channel: str, payload: str, received_at: datetime) -> None:
        """Queue one inbound frame; never waits. A full queue drops the frame, counted and logged."""
        queue = self._queue
        if len(queue) >= self.capacity or self._closed:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                log.error(
                    "journal: %d frames dropped (%s); the store is not keeping up or the writer is closed",
                    self.dropped,
                    "closed" if self._closed else f"queue full at {self.capacity}",
                )
            return
        queue.append((source, channel, payload, received_at))
        if len(queue) >= self.batch_size:
            self._wake.set()

    # --- writing --------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="journal-writer")

    async def flush(self) -> int:
        """Write everything queued now, batch by batch; how many entries were written.

        A failing batch is put back at the head of the queue and the error propagates.
        """
        written = 0
        async with self._lock:
            while self._queue:
                count = min(self.batch_size, len(self._queue))
                rows = [self._queue.popleft() for _ in range(count)]
                committed = False
                try:
                    entries = [
                        JournalEntry(source=s, channel=c, payload=p, received_at=at) for s, c, p, at in rows
                    ]
                    async with self._store.unit_of_work() as uow:
                        await uow.journal.append_many(entries)
                        await uow.commit()
                        committed = True
                except BaseException:
                    if not committed:
                        self._queue.extendleft(reversed(rows))
                    raise
                written += count
                self.written += count
        return written

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                self.failures += 1
                log.exception("journal: writing a batch failed; %d entries stay queued", len(self._queue))

    async def close(self) -> None:
        """Stop the background task and write what is queued (its error propagates: entries stay queued)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

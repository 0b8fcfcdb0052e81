"""The buffered prediction log: logging a prediction is a list append; batches are written to the store later.

Serving must not wait for a database, so `append` only adds a tuple to an in-memory buffer. The buffer is
written to `uow.predictions` in batches of `batch_size`, in one unit of work per batch: as soon as a full batch
is waiting (a flush task is scheduled on the running loop), every `interval_seconds` while `run` is active, on
`flush()`, and on `close()`. The conversion to validated `PredictionRecord`s happens at flush time, off the
serving path. The buffer is bounded: beyond `capacity` waiting predictions (the store is down or too slow) new
ones are dropped and counted in `dropped`, so a stalled store cannot exhaust memory. A batch the store refuses
is put back at the head of the buffer and retried on the next flush; after a failure, full batches no longer
trigger flushes of their own (that would retry on every append while the database is down) until a flush
succeeds again: the periodic flush, or an explicit `flush()`. `close()` flushes everything (or raises the
store's error), so a graceful close loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from galfriday.domain.experiments import PredictionRecord
from galfriday.domain.routing import BUCKETS
from galfriday.errors import InvalidValueError
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1_000
DEFAULT_CAPACITY = 100_000
DEFAULT_INTERVAL_SECONDS = 1.0


class LoggedPrediction(NamedTuple):
    """A prediction as the serving path hands it over: raw outputs (numpy arrays are fine), no validation."""

    id: str
    model_name: str
    version: int
    experiment_id: str | None
    arm: str | None
    routing_key: str | None
    acted: bool
    outputs: Mapping[str, Any]
    latency_seconds: float
    at: datetime
    bucket_index: int | None = None

    def record(self) -> PredictionRecord:
        """The validated store record; array outputs are flattened to tuples of floats."""
        return PredictionRecord(
            id=self.id,
            model_name=self.model_name,
            version=self.version,
            experiment_id=self.experiment_id,
            arm=self.arm,
            routing_key=self.routing_key,
            acted=self.acted,
            outputs={name: flat_floats(value) for name, value in self.outputs.items()},
            latency_seconds=self.latency_seconds,
            at=self.at,
            bucket=None if self.bucket_index is None else self.bucket_index / BUCKETS,
        )


_PLAIN_NUMBERS = frozenset({float, int})


def flat_floats(value: Any) -> tuple[float, ...]:
    """A model output (a number, a sequence, nested sequences or an array) as a flat tuple of floats.

    A flat array or sequence of plain numbers (what runtimes return) is converted in one pass at C speed;
    anything else is walked element by element, which also finds what is not a number.
    """
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        kinds = set(map(type, value))
        if kinds <= _PLAIN_NUMBERS:
            return tuple(value) if int not in kinds else tuple(map(float, value))
        return tuple(item for element in value for item in flat_floats(element))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError("prediction output", value, "numbers, sequences of numbers or an array")
    return (float(value),)


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidValueError(name, value, "a number above 0")


class PredictionLog:
    """Buffers `LoggedPrediction`s and writes them to `store` in batches (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        capacity: int = DEFAULT_CAPACITY,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        _positive("batch_size", batch_size)
        _positive("interval_seconds", interval_seconds)
        if not isinstance(capacity, int) or capacity < batch_size:
            raise InvalidValueError("capacity", capacity, f"a whole number >= batch_size ({batch_size})")
        self._store = store
        self._clock = clock
        self.batch_size = batch_size
        self.capacity = capacity
        self.interval_seconds = interval_seconds
        self._buffer: list[LoggedPrediction] = []
        self._lock = asyncio.Lock()
        self._pending_flush: asyncio.Task[int] | None = None
        self._periodic: asyncio.Task[None] | None = None
        self._failing = False
        self.written = 0
        """Records the store accepted as new."""
        self.dropped = 0
        """Predictions refused because `capacity` were already waiting."""
        self.failed_flushes = 0

    @property
    def waiting(self) -> int:
        """Predictions appended and not yet written."""
        return len(self._buffer)

    def append(self, prediction: LoggedPrediction) -> None:
        """Buffer one prediction; schedules a flush once a full batch waits. Never blocks, never raises."""
        buffer = self._buffer
        if len(buffer) >= self.capacity:
            self.dropped += 1
            return
        buffer.append(prediction)
        if len(buffer) >= self.batch_size and self._pending_flush is None and not self._failing:
            self._schedule_flush()

    def _schedule_flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used without an event loop: the next flush() or close() writes it
            return
        task = loop.create_task(self.flush())
        self._pending_flush = task
        task.add_done_callback(self._flush_done)

    def _flush_done(self, task: asyncio.Task[int]) -> None:
        self._pending_flush = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("prediction log: flush failed, %d predictions kept for retry", len(self._buffer))

    async def flush(self) -> int:
        """Write everything buffered now, batch by batch; return how many records were new.

        If the store fails, the unwritten predictions go back to the head of the buffer and the error is raised.
        """
        async with self._lock:
            taken, self._buffer = self._buffer, []
            new = 0
            for start in range(0, len(taken), self.batch_size):
                batch = taken[start : start + self.batch_size]
                try:
                    new += await self._write(batch)
                except BaseException:
                    self.failed_flushes += 1
                    self._failing = True
                    self._buffer[:0] = taken[start:]
                    raise
            self._failing = False
            self.written += new
            return new

    async def _write(self, batch: list[LoggedPrediction]) -> int:
        records = [prediction.record() for prediction in batch]
        async with self._store.unit_of_work() as uow:
            new = await uow.predictions.add_many(records)
            await uow.commit()
        return new

    async def run(self) -> None:
        """Flush every `interval_seconds` until cancelled; a failing flush is logged and retried next time."""
        while True:
            await self._clock.sleep(self.interval_seconds)
            if self._buffer:
                try:
                    await self.flush()
                except Exception:
                    log.exception("prediction log: periodic flush failed; %d waiting", len(self._buffer))

    async def start(self) -> None:
        """Start the periodic flush on the running loop."""
        if self._periodic is None:
            self._periodic = asyncio.get_running_loop().create_task(self.run())

    async def close(self) -> None:
        """Stop the periodic flush and write everything still buffered (the store's error is raised)."""
        if self._periodic is not None:
            self._periodic.cancel()
            await asyncio.gather(self._periodic, return_exceptions=True)
            self._periodic = None
        if self._pending_flush is not None:
            await asyncio.gather(self._pending_flush, return_exceptions=True)
        await self.flush()

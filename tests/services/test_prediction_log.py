"""The buffered prediction log: appends are cheap, batches reach the store, nothing is lost on close."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore, MemoryUnitOfWork
from galfriday.domain.experiments import Arm, PredictionRecord
from galfriday.errors import InvalidValueError, StoreError
from galfriday.services.prediction_log import LoggedPrediction, PredictionLog, flat_floats

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def logged(i: int, **changes: Any) -> LoggedPrediction:
    base = LoggedPrediction(
        id=f"p-{i}",
        model_name="btc-direction",
        version=3,
        experiment_id="exp-1",
        arm="control",
        routing_key=f"decision-{i}",
        acted=True,
        outputs={"probabilities": np.array([[0.25, 0.75]], dtype=np.float32)},
        latency_seconds=0.000_004,
        at=NOW,
        bucket_index=1234,
    )
    return base._replace(**changes)


async def stored(store: MemoryStore) -> list[PredictionRecord]:
    async with store.unit_of_work() as uow:
        return await uow.predictions.for_model("btc-direction")


class FailingStore(MemoryStore):
    """A memory store whose next `failures` units of work fail when they write predictions."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.attempts = 0

    def unit_of_work(self) -> MemoryUnitOfWork:
        uow = super().unit_of_work()
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1

            async def refuse(records: object) -> int:
                raise StoreError("the database is unreachable")

            uow.predictions.add_many = refuse  # type: ignore[method-assign]
        return uow


async def test_a_flushed_prediction_is_stored_with_every_field() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW))
    log.append(logged(1))
    assert await log.flush() == 1
    [record] = await stored(store)
    assert record == PredictionRecord(
        id="p-1",
        model_name="btc-direction",
        version=3,
        experiment_id="exp-1",
        arm=Arm.CONTROL,
        routing_key="decision-1",
        acted=True,
        outputs={"probabilities": (0.25, 0.75)},
        latency_seconds=0.000_004,
        at=NOW,
        bucket=0.1234,
    )


async def test_appending_writes_nothing_until_a_flush() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW), batch_size=10)
    for i in range(5):
        log.append(logged(i))
    assert await stored(store) == []
    assert log.waiting == 5


async def test_a_full_batch_is_flushed_without_being_asked() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW), batch_size=4)
    for i in range(4):
        log.append(logged(i))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(await stored(store)) == 4
    assert log.waiting == 0


async def test_the_periodic_flush_writes_a_partial_batch() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW), batch_size=100, interval_seconds=0.5)
    await log.start()
    log.append(logged(1))
    for _ in range(5):
        await asyncio.sleep(0)
    assert [r.id for r in await stored(store)] == ["p-1"]
    await log.close()


async def test_close_writes_everything_still_buffered() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW), batch_size=7, capacity=10_000)
    await log.start()
    for i in range(1_000):
        log.append(logged(i))
    await log.close()
    assert len(await stored(store)) == 1_000
    assert log.written == 1_000
    assert log.dropped == 0


async def test_a_refused_batch_is_kept_and_written_by_the_next_flush() -> None:
    store = FailingStore(failures=1)
    log = PredictionLog(store, ManualClock(NOW), batch_size=10)
    for i in range(3):
        log.append(logged(i))
    with pytest.raises(StoreError):
        await log.flush()
    assert log.waiting == 3
    assert log.failed_flushes == 1
    log.append(logged(3))
    assert await log.flush() == 4
    assert [r.id for r in await stored(store)] == ["p-0", "p-1", "p-2", "p-3"]


async def test_beyond_capacity_new_predictions_are_dropped_and_counted() -> None:
    log = PredictionLog(FailingStore(failures=100), ManualClock(NOW), batch_size=2, capacity=4)
    for i in range(6):
        log.append(logged(i))
    await asyncio.sleep(0)
    assert log.waiting == 4
    assert log.dropped == 2


async def test_a_repeated_prediction_id_is_stored_once() -> None:
    store = MemoryStore()
    log = PredictionLog(store, ManualClock(NOW))
    log.append(logged(1))
    log.append(logged(1))
    assert await log.flush() == 1
    assert len(await stored(store)) == 1


def test_capacity_below_the_batch_size_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="capacity"):
        PredictionLog(MemoryStore(), ManualClock(NOW), batch_size=100, capacity=10)


def test_outputs_are_flattened_from_arrays_lists_and_numbers() -> None:
    assert flat_floats(np.array([[1, 2], [3, 4]], dtype=np.int64)) == (1.0, 2.0, 3.0, 4.0)
    assert flat_floats([0.5, (0.25,)]) == (0.5, 0.25)
    assert flat_floats(2) == (2.0,)


def test_read_only_runtime_arrays_become_python_floats() -> None:
    labels = np.array([1, 0], dtype=np.int64)
    probabilities = np.array([0.25, 0.75], dtype=np.float32)
    for array in (labels, probabilities):
        array.flags.writeable = False
    flat = [flat_floats(labels), flat_floats(probabilities)]
    assert flat == [(1.0, 0.0), (0.25, 0.75)]
    assert all(type(value) is float for values in flat for value in values)


def test_a_non_numeric_output_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="prediction output"):
        flat_floats(["up"])


async def test_after_a_failed_flush_full_batches_wait_for_the_next_successful_flush() -> None:
    """While the database is down, appends do not each start a retry; an explicit flush resumes them."""
    store = FailingStore(failures=1)
    log = PredictionLog(store, ManualClock(NOW), batch_size=2)
    for i in range(2):
        log.append(logged(i))
    for _ in range(3):
        await asyncio.sleep(0)
    assert store.attempts == 1
    for i in range(2, 10):
        log.append(logged(i))
    for _ in range(3):
        await asyncio.sleep(0)
    assert store.attempts == 1
    assert await log.flush() == 10
    log.append(logged(10))
    log.append(logged(11))
    for _ in range(3):
        await asyncio.sleep(0)
    assert log.waiting == 0
    assert len(await stored(store)) == 12

"""Order intake: stream events are applied in order through a bounded queue; stopping applies everything
accepted; a failed event is retried when the supervisor restarts the intake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from runtime_waiting import eventually

from galfriday.domain.events import ExchangeEvent, StreamRecoveryNeeded, StreamStatusChanged
from galfriday.domain.market_data import MarketChannel
from galfriday.errors import ExchangeError, InvalidOrderTransition
from galfriday.ports.exchange import StreamHealth
from galfriday.runtime import Backoff, Supervisor
from galfriday.runtime.intake import OrderIntake
from galfriday.runtime.metrics import RuntimeMetrics

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def status(n: int) -> StreamStatusChanged:
    return StreamStatusChanged(healthy=True, reason=f"event {n}", occurred_at=T0)


class QueueStream:
    """An `ExchangeStream` fed by the test: `push` events, `end()` closes the iteration."""

    def __init__(self) -> None:
        self.pending: asyncio.Queue[ExchangeEvent | None] = asyncio.Queue()

    def push(self, *events: ExchangeEvent) -> None:
        for event in events:
            self.pending.put_nowait(event)

    def end(self) -> None:
        self.pending.put_nowait(None)

    async def events(self) -> AsyncIterator[ExchangeEvent]:
        while (event := await self.pending.get()) is not None:
            yield event

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    def health(self) -> StreamHealth:
        return StreamHealth(True, "connected", None)


class Recorder:
    """Applies events by recording their reasons; can be made slow, or fail once on a given event."""

    def __init__(self, *, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.applied: list[str] = []
        self.delay = delay
        self.fail_on = fail_on
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, event: ExchangeEvent) -> None:
        await self.release.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        reason = getattr(event, "reason", "")
        if reason == self.fail_on:
            self.fail_on = None
            raise OSError("the store went away")
        self.applied.append(reason)


async def test_events_are_applied_in_stream_order_and_counted_by_topic() -> None:
    stream, handler, metrics = QueueStream(), Recorder(), RuntimeMetrics()
    intake = OrderIntake(stream, handler, metrics=metrics, queue_size=4)
    stream.push(*(status(n) for n in range(10)))
    running = asyncio.create_task(intake.run())
    await eventually(lambda: len(handler.applied) == 10, "ten events applied")
    assert handler.applied == [f"event {n}" for n in range(10)]
    assert (
        metrics.registry.get_sample_value("galfriday_messages_processed_total", {"kind": "exchange.stream"})
        == 10
    )
    await intake.stop()
    await asyncio.wait_for(running, 5)


async def test_stopping_applies_every_accepted_event_and_takes_no_more() -> None:
    stream, handler = QueueStream(), Recorder(delay=0.002)
    intake = OrderIntake(stream, handler, metrics=RuntimeMetrics(), queue_size=20)
    stream.push(*(status(n) for n in range(200)))
    running = asyncio.create_task(intake.run())
    await eventually(lambda: intake.backlog >= 10, "a backlog in the queue")
    await intake.stop()
    await asyncio.wait_for(running, 5)
    assert intake.accepted == intake.applied == len(handler.applied)
    assert handler.applied == [f"event {n}" for n in range(intake.applied)]
    assert intake.applied < 200
    assert stream.pending.qsize() == 200 - intake.applied  # the rest stays on the stream, unacknowledged


async def test_a_full_queue_stops_reading_from_the_stream() -> None:
    stream, handler, metrics = QueueStream(), Recorder(), RuntimeMetrics()
    handler.release.clear()
    intake = OrderIntake(stream, handler, metrics=metrics, queue_size=3)
    stream.push(*(status(n) for n in range(50)))
    running = asyncio.create_task(intake.run())
    await eventually(lambda: intake.accepted == 4, "queue full plus the one being applied")
    await asyncio.sleep(0.05)
    assert intake.accepted == 4
    assert metrics.registry.get_sample_value("galfriday_intake_queue_depth") == 3
    handler.release.set()
    await intake.stop()
    await asyncio.wait_for(running, 5)


async def test_an_event_whose_handling_failed_is_applied_first_after_the_restart() -> None:
    stream, handler, metrics = QueueStream(), Recorder(fail_on="event 3"), RuntimeMetrics()
    intake = OrderIntake(stream, handler, metrics=metrics, queue_size=4)
    supervisor = Supervisor(
        [intake], backoff=Backoff(initial_seconds=0.01, max_seconds=0.01), metrics=metrics
    )
    stream.push(*(status(n) for n in range(8)))
    supervisor.start()
    await eventually(lambda: len(handler.applied) == 8, "all eight applied")
    assert handler.applied == [f"event {n}" for n in range(8)]
    assert (
        metrics.registry.get_sample_value("galfriday_component_restarts_total", {"component": "order-intake"})
        == 1
    )
    assert await supervisor.stop(5) == []


async def test_reconnects_and_gaps_reported_by_the_stream_are_counted() -> None:
    stream, metrics = QueueStream(), RuntimeMetrics()
    intake = OrderIntake(stream, Recorder(), metrics=metrics)
    stream.push(
        StreamRecoveryNeeded(exchange="kraken", reason="reconnect", since=T0, occurred_at=T0, reconnects=1),
        StreamRecoveryNeeded(exchange="kraken", reason="gap", since=T0, occurred_at=T0),
        StreamRecoveryNeeded(exchange="kraken", reason="reconnect", since=T0, occurred_at=T0, reconnects=2),
    )
    running = asyncio.create_task(intake.run())
    await eventually(lambda: intake.applied == 3, "three events applied")
    assert metrics.registry.get_sample_value("galfriday_stream_reconnects_total") == 2
    assert metrics.registry.get_sample_value("galfriday_stream_gaps_total") == 1
    await intake.stop()
    await asyncio.wait_for(running, 5)


async def test_a_stream_that_ends_while_running_is_an_error_for_the_supervisor() -> None:
    stream = QueueStream()
    intake = OrderIntake(stream, Recorder(), metrics=RuntimeMetrics())
    stream.end()
    with pytest.raises(ExchangeError, match="stream ended"):
        await intake.run()


async def test_an_observation_that_failed_is_made_again_after_the_restart_without_applying_twice() -> None:
    stream, handler, metrics = QueueStream(), Recorder(), RuntimeMetrics()
    observed: list[str] = []
    failures = iter([OSError("the account could not be read")])

    async def observer(event: ExchangeEvent) -> None:
        reason = getattr(event, "reason", "")
        if reason == "event 2" and (error := next(failures, None)) is not None:
            raise error
        observed.append(reason)

    intake = OrderIntake(stream, handler, metrics=metrics, queue_size=4, observers=[observer])
    supervisor = Supervisor(
        [intake], backoff=Backoff(initial_seconds=0.01, max_seconds=0.01), metrics=metrics
    )
    stream.push(*(status(n) for n in range(5)))
    supervisor.start()
    await eventually(lambda: len(observed) == 5, "all five observed")
    assert observed == [f"event {n}" for n in range(5)]
    assert handler.applied == [f"event {n}" for n in range(5)]
    assert intake.applied == 5
    assert await supervisor.stop(5) == []


async def test_an_event_the_domain_refuses_is_rejected_reported_and_skipped_so_the_rest_flows() -> None:
    stream, metrics = QueueStream(), RuntimeMetrics()
    applied: list[str] = []
    rejected: list[tuple[str, str]] = []

    async def handle(event: ExchangeEvent) -> None:
        reason = getattr(event, "reason", "")
        if reason == "event 1":
            raise InvalidOrderTransition("c-1", "filled", "new")
        applied.append(reason)

    async def on_reject(event: ExchangeEvent, error: Exception) -> None:
        rejected.append((getattr(event, "reason", ""), type(error).__name__))

    intake = OrderIntake(stream, handle, metrics=metrics, on_reject=on_reject)
    stream.push(*(status(n) for n in range(3)))
    running = asyncio.create_task(intake.run())
    await eventually(lambda: len(applied) == 2, "the other two applied")
    await intake.stop()
    await asyncio.wait_for(running, 5)
    assert applied == ["event 0", "event 2"]
    assert rejected == [("event 1", "InvalidOrderTransition")]
    assert (
        metrics.registry.get_sample_value("galfriday_events_rejected_total", {"kind": "exchange.stream"}) == 1
    )
    assert intake.backlog == 0

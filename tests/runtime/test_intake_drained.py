"""The order intake's `drained` barrier: a reader of the store (reconciliation) waits until every event the
intake had received is applied, and is told when the intake does not get there in time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from runtime_waiting import eventually

from galfriday.domain.events import ExchangeEvent, StreamStatusChanged
from galfriday.domain.market_data import MarketChannel
from galfriday.errors import InvalidOrderTransition
from galfriday.ports.exchange import StreamHealth
from galfriday.runtime.intake import OrderIntake
from galfriday.runtime.metrics import RuntimeMetrics

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def status(n: int) -> StreamStatusChanged:
    return StreamStatusChanged(healthy=True, reason=f"event {n}", occurred_at=T0)


class PushedStream:
    """An `ExchangeStream` the test pushes events into."""

    def __init__(self) -> None:
        self.pending: asyncio.Queue[ExchangeEvent] = asyncio.Queue()

    async def events(self) -> AsyncIterator[ExchangeEvent]:
        while True:
            yield await self.pending.get()

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    def health(self) -> StreamHealth:
        return StreamHealth(True, "connected", None)


class GatedHandler:
    """Applies events only while `open` is set; refuses the event whose reason is `refuse`."""

    def __init__(self, refuse: str | None = None) -> None:
        self.applied: list[str] = []
        self.open = asyncio.Event()
        self.refuse = refuse

    async def __call__(self, event: ExchangeEvent) -> None:
        await self.open.wait()
        reason = getattr(event, "reason", "")
        if reason == self.refuse:
            raise InvalidOrderTransition("c-1", "filled", "new")
        self.applied.append(reason)


async def started(handler: GatedHandler, *events: ExchangeEvent) -> tuple[OrderIntake, asyncio.Task[None]]:
    stream = PushedStream()
    intake = OrderIntake(stream, handler, metrics=RuntimeMetrics())
    running = asyncio.create_task(intake.run())
    for event in events:
        stream.pending.put_nowait(event)
    await eventually(lambda: intake.accepted == len(events), "every event accepted")
    return intake, running


async def stopped(intake: OrderIntake, running: asyncio.Task[None]) -> None:
    await intake.stop()
    await asyncio.wait_for(running, 5)


async def test_drained_waits_until_every_event_received_before_the_call_is_applied() -> None:
    handler = GatedHandler()
    intake, running = await started(handler, status(1), status(2), status(3))
    barrier = asyncio.create_task(intake.drained(5))
    await asyncio.sleep(0.05)
    assert not barrier.done()
    handler.open.set()
    assert await asyncio.wait_for(barrier, 5) is True
    assert handler.applied == ["event 1", "event 2", "event 3"]
    await stopped(intake, running)


async def test_drained_is_immediate_when_nothing_is_in_flight() -> None:
    handler = GatedHandler()
    handler.open.set()
    intake, running = await started(handler)
    assert await asyncio.wait_for(intake.drained(5), 1) is True
    await stopped(intake, running)


async def test_a_rejected_event_counts_as_done() -> None:
    handler = GatedHandler(refuse="event 2")
    intake, running = await started(handler, status(1), status(2))
    barrier = asyncio.create_task(intake.drained(5))
    handler.open.set()
    assert await asyncio.wait_for(barrier, 5) is True
    assert intake.rejected == 1
    await stopped(intake, running)


async def test_drained_reports_false_when_the_intake_does_not_catch_up_in_time() -> None:
    handler = GatedHandler()
    intake, running = await started(handler, status(1))
    assert await intake.drained(0.05) is False
    handler.open.set()
    await stopped(intake, running)

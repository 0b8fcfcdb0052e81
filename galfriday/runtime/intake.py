"""Order intake: exchange stream events into a bounded queue, applied one at a time (by `OrderTracker`).

An event counts as accepted once it is in the queue; every accepted event is applied before `run()` returns
after `stop()`, and one whose handling failed is retried first when the supervisor restarts the intake (the
tracker is idempotent, so a retry never double-counts). The bounded queue is backpressure: while it is full
the reader stops taking events from the stream, and `galfriday_intake_queue_depth` shows the lag.

An event the domain refuses (`DomainError`: an impossible status change, an overfill; or a `DuplicateKeyError`)
would fail the same way on every retry and stall everything behind it, so it is rejected instead: logged with
the event, counted in `galfriday_events_rejected_total{kind}`, reported to `on_reject`, and skipped (the raw
frame stays in the journal; reconciliation finds whatever it left out). Any other failure is retried.

The reader task outlives a crash of the worker (a store outage must not drop the stream subscription); a
reader that fails lets the worker apply what was queued, then `run()` raises its error so the supervisor
restarts the intake with a new iteration of the stream.

`drained(wait_seconds)` is a barrier for readers of the store that must not see it behind the stream (reconciliation):
it waits until every event received so far has been applied or rejected.

Events the stream still holds at shutdown were never accepted; the next start's recovery backfills them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from prometheus_client import Counter

from galfriday.domain.events import ExchangeEvent, StreamRecoveryNeeded
from galfriday.errors import DomainError, DuplicateKeyError, ExchangeError, InvalidValueError
from galfriday.ports.exchange import ExchangeStream
from galfriday.runtime.metrics import RuntimeMetrics

log = logging.getLogger(__name__)

EventHandler = Callable[[ExchangeEvent], Awaitable[object]]
"""Applies one event; `OrderTracker.handle` in `galfriday run`."""

EventObserver = Callable[[ExchangeEvent], Awaitable[None]]
"""Sees each event after it was applied, for example to start a recovery after a reconnect."""

RejectHandler = Callable[[ExchangeEvent, Exception], Awaitable[None]]
"""Hears of each rejected event and why (the runtime alerts a human and asks for a reconciliation)."""

REJECTED = (DomainError, DuplicateKeyError)
"""Failures that retrying the same event cannot cure."""


class _EndOfReading:
    """Queued when the reader ends, to wake a worker waiting on an empty queue."""


_END = _EndOfReading()


class OrderIntake:
    """The `order-intake` component: one reader from the stream, one worker applying events in order."""

    name = "order-intake"

    def __init__(
        self,
        stream: ExchangeStream,
        handle: EventHandler,
        *,
        metrics: RuntimeMetrics,
        queue_size: int = 10_000,
        observers: Sequence[EventObserver] = (),
        on_reject: RejectHandler | None = None,
    ) -> None:
        if queue_size < 1:
            raise InvalidValueError("queue_size", queue_size, "at least 1")
        self._stream = stream
        self._handle = handle
        self._metrics = metrics
        self._observers = list(observers)
        self._on_reject = on_reject
        self.rejected = 0
        self._queue: asyncio.Queue[ExchangeEvent | _EndOfReading] = asyncio.Queue(queue_size)
        self._queued = 0
        self._events: AsyncIterator[ExchangeEvent] | None = None
        self._retry: ExchangeEvent | None = None
        """The event being applied and observed; kept until both are done, so a crash retries it."""
        self._retry_applied = False
        """Whether `_retry` was applied already (then only its observers run again)."""
        self._in_hand: ExchangeEvent | None = None
        """Taken from the stream, not yet in the queue (the queue was full)."""
        self._reader: asyncio.Task[None] | None = None
        self._reader_finished = False
        self._waiting_on_stream = False
        self._worker_active = False
        self._stopping = False
        self.accepted = 0
        self.applied = 0
        self.applied_by_topic: dict[str, int] = {}
        self._barriers: list[tuple[int, asyncio.Future[None]]] = []
        """`drained` callers: how many events must be done (applied or rejected), and whom to wake then."""
        self._processed: dict[str, Counter] = {}
        metrics.track_queue_depth(lambda: self._queued)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def observe(self, observer: EventObserver) -> None:
        """Add an observer (services wired in after construction)."""
        self._observers.append(observer)

    @property
    def backlog(self) -> int:
        """Accepted events not yet applied (or applied and not yet observed)."""
        return self._queued + (self._retry is not None)

    async def drained(self, wait_seconds: float) -> bool:
        """Wait until every event received so far (accepted, or in hand for a full queue) has been applied or
        rejected. False if `wait_seconds` passed first (the worker is stalled or restarting)."""
        target = self.accepted + (self._in_hand is not None)
        if self.applied + self.rejected >= target:
            return True
        barrier = (target, asyncio.get_running_loop().create_future())
        self._barriers.append(barrier)
        try:
            await asyncio.wait_for(asyncio.shield(barrier[1]), wait_seconds)
        except TimeoutError:
            return False
        finally:
            if barrier in self._barriers:
                self._barriers.remove(barrier)
        return True

    def _release_barriers(self) -> None:
        done = self.applied + self.rejected
        for target, waiter in self._barriers:
            if target <= done and not waiter.done():
                waiter.set_result(None)

    def open(self) -> AsyncIterator[ExchangeEvent]:
        """Subscribe to the stream now, so events between start-up and the first read are not missed."""
        if self._events is None:
            self._events = aiter(self._stream.events())
        return self._events

    async def run(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader_finished = False
            self._reader = asyncio.create_task(self._read(), name="galfriday:order-intake:reader")
        reader = self._reader
        self._worker_active = True
        try:
            await self._work()
        finally:
            self._worker_active = False
        if reader.done() and not reader.cancelled():
            error = reader.exception()
            if error is not None:
                raise error

    async def stop(self) -> None:
        """Stop taking events from the stream; the worker applies what was accepted, then `run()` returns."""
        self._stopping = True
        reader = self._reader
        if reader is None or reader.done():
            return
        if self._waiting_on_stream or not self._worker_active:
            reader.cancel()  # waiting on the stream: nothing in hand; no worker: nobody would empty the queue

    async def _read(self) -> None:
        try:
            if self._in_hand is not None:
                await self._accept(self._in_hand)
            events = self.open()
            while not self._stopping:
                self._waiting_on_stream = True
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    self._events = None
                    if self.stopping:
                        break
                    raise ExchangeError("the exchange stream ended while the runtime was running") from None
                except Exception:
                    self._events = None  # a failed iterator is not resumed; the restart opens a new one
                    raise
                finally:
                    self._waiting_on_stream = False
                await self._accept(event)
        finally:
            self._reader_finished = True
            with contextlib.suppress(asyncio.QueueFull):  # a full queue wakes the worker anyway
                self._queue.put_nowait(_END)

    async def _accept(self, event: ExchangeEvent) -> None:
        self._in_hand = event
        await self._queue.put(event)
        self._in_hand = None
        self._queued += 1
        self.accepted += 1

    async def _work(self) -> None:
        while True:
            if self._retry is None:
                if self._reader_finished and self._queue.empty():
                    return
                item = await self._queue.get()
                if isinstance(item, _EndOfReading):
                    continue
                self._queued -= 1
                self._retry = item
            event = self._retry
            if not self._retry_applied:
                try:
                    await self._handle(event)
                except REJECTED as error:
                    await self._reject(event, error)
                    self._retry = None
                    continue
                self._retry_applied = True
                self.applied += 1
                self.applied_by_topic[event.topic] = self.applied_by_topic.get(event.topic, 0) + 1
                self._count(event)
                if self._barriers:
                    self._release_barriers()
            for observer in self._observers:  # a failed observation is retried after the restart, not lost
                await observer(event)
            self._retry, self._retry_applied = None, False

    async def _reject(self, event: ExchangeEvent, error: Exception) -> None:
        self.rejected += 1
        if self._barriers:
            self._release_barriers()
        self._metrics.events_rejected.labels(event.topic).inc()
        log.error("rejected %s (%s: %s); skipped: %r", event.topic, type(error).__name__, error, event)
        if self._on_reject is not None:
            try:
                await self._on_reject(event, error)
            except Exception:  # a report that fails must not stall the intake either
                log.exception("could not report the rejected %s", event.topic)

    def _count(self, event: ExchangeEvent) -> None:
        counter = self._processed.get(event.topic)
        if counter is None:  # one labels() lookup per topic, not per event
            counter = self._processed[event.topic] = self._metrics.messages_processed.labels(event.topic)
        counter.inc()
        if isinstance(event, StreamRecoveryNeeded):
            if event.reason == "reconnect":
                self._metrics.reconnects.inc()
            elif event.reason == "gap":
                self._metrics.gaps_detected.inc()

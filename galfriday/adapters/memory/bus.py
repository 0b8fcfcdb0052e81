"""In-process event bus: one bounded queue per subscription, backpressure instead of loss.

Publishing is serialised by one lock, so every subscriber sees events in publication order: per topic, and
across topics for `"*"` subscribers. A full queue makes `publish` wait, which holds back every publisher:
that is the backpressure the port promises, so size queues for the slowest consumer.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Final

from galfriday.errors import BusClosedError, InvalidValueError

WILDCARD: Final = "*"


class MemorySubscription:
    """Events of one topic (or of all, for `"*"`) in publication order.

    A bounded deque with two events rather than an `asyncio.Queue`: Python 3.11's queue cannot be shut down,
    and a marker queued to wake a blocked consumer would take a slot a blocked publisher is waiting for.
    """

    def __init__(self, bus: MemoryEventBus, topic: str, maxsize: int) -> None:
        self.topic = topic
        self.maxsize = maxsize
        self._bus = bus
        self._events: deque[Any] = deque()
        self._not_empty = asyncio.Event()  # set on every append and on close: consumers re-check
        self._not_full = asyncio.Event()  # set on every pop and on close: the publisher re-checks
        self._ending = False  # the bus closed: drain what is queued, then stop
        self._detached = False  # closed by its consumer: stop now, discard what is queued

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> Any:
        while not self._detached:
            if self._events:
                event = self._events.popleft()
                self._not_full.set()
                return event
            if self._ending:
                break
            self._not_empty.clear()
            await self._not_empty.wait()
        raise StopAsyncIteration

    @property
    def lag(self) -> int:
        """Events queued for this subscriber and not yet consumed."""
        return len(self._events)

    @property
    def closed(self) -> bool:
        """True once the subscription or its bus is closed (queued events may remain to drain)."""
        return self._detached or self._ending

    async def close(self) -> None:
        """Detach from the bus: later events are not delivered, queued ones are discarded, iteration ends."""
        if self._detached:
            return
        self._detached = True
        self._bus._detach(self)
        self._events.clear()
        self._not_empty.set()
        self._not_full.set()

    async def _deliver(self, event: Any) -> None:
        while len(self._events) >= self.maxsize and not self._detached:
            self._not_full.clear()
            await self._not_full.wait()
        if not self._detached:
            self._events.append(event)
            self._not_empty.set()

    def _end(self) -> None:
        """The bus closed: iteration ends once the queue is drained."""
        self._ending = True
        self._not_empty.set()


class MemoryEventBus:
    """`EventBus` in process memory: ordered, bounded, lossless. Also counts events published per topic."""

    def __init__(self, maxsize: int = 1000) -> None:
        self.maxsize = _check_maxsize(maxsize)
        self._by_topic: dict[str, tuple[MemorySubscription, ...]] = {}
        self._wildcard: tuple[MemorySubscription, ...] = ()
        self._lock = asyncio.Lock()
        self._published: Counter[str] = Counter()
        self._pending = 0  # publishes accepted and not finished
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def published_counts(self) -> Mapping[str, int]:
        """Events published per topic since the bus was created (a copy)."""
        return dict(self._published)

    async def start(self) -> None:
        """Nothing to acquire; present so the app closes the bus with its other adapters."""

    async def publish(self, topic: str, event: Any) -> None:
        """Queue `event` for every current subscriber of `topic` and of `"*"`, waiting for room if needed."""
        if self._closed:
            raise BusClosedError(f"cannot publish on {topic!r}: the event bus is closed")
        if topic == WILDCARD:
            raise InvalidValueError("topic", topic, "a topic name; '*' is only for subscribing")
        self._pending += 1
        try:
            async with self._lock:
                for subscription in self._by_topic.get(topic, ()) + self._wildcard:
                    await subscription._deliver(event)
                self._published[topic] += 1
        finally:
            self._pending -= 1
            if self.closed and self._pending == 0:  # close() came while we published
                self._end_all()

    def subscribe(self, topic: str, *, maxsize: int | None = None) -> MemorySubscription:
        """Receive every event published on `topic` from now on; `"*"` receives every topic."""
        if self._closed:
            raise BusClosedError(f"cannot subscribe to {topic!r}: the event bus is closed")
        size = self.maxsize if maxsize is None else _check_maxsize(maxsize)
        subscription = MemorySubscription(self, topic, size)
        if topic == WILDCARD:
            self._wildcard += (subscription,)
        else:
            self._by_topic[topic] = (*self._by_topic.get(topic, ()), subscription)
        return subscription

    async def close(self) -> None:
        """Refuse new events; subscribers drain what is queued (including publishes under way), then end."""
        if self._closed:
            return
        self._closed = True
        if self._pending == 0:
            self._end_all()

    def _end_all(self) -> None:
        for subscriptions in (*self._by_topic.values(), self._wildcard):
            for subscription in subscriptions:
                subscription._end()

    def _detach(self, subscription: MemorySubscription) -> None:
        # Copy-on-write tuples: a publish under way keeps iterating the snapshot it took.
        if subscription.topic == WILDCARD:
            self._wildcard = tuple(s for s in self._wildcard if s is not subscription)
            return
        remaining = tuple(s for s in self._by_topic.get(subscription.topic, ()) if s is not subscription)
        if remaining:
            self._by_topic[subscription.topic] = remaining
        else:
            self._by_topic.pop(subscription.topic, None)


def _check_maxsize(maxsize: int) -> int:
    # A queue of size 0 could never take an event, and the port promises bounded queues.
    if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
        raise InvalidValueError("maxsize", maxsize, "a positive int (queues are bounded)")
    return maxsize

"""Fan-out of stream events: every subscriber sees every event published after it subscribed, in order.

`subscribe()` registers at once (not at the first `anext`), so a caller that subscribes and then acts sees
the events its own action causes. Queues are unbounded: a paper exchange produces events only when someone
trades, and a subscriber that stops reading should `aclose()` its iterator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription(AsyncIterator[T], Generic[T]):
    """One subscriber's iterator; ends when the fan-out closes or the subscriber calls `aclose()`."""

    def __init__(self, fanout: FanOut[T]) -> None:
        self._fanout = fanout
        self._queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue()
        self._ended = False

    def push(self, item: T) -> None:
        if not self._ended:
            self._queue.put_nowait((item,))

    def end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(None)

    async def __anext__(self) -> T:
        entry = await self._queue.get()
        if entry is None:
            self._queue.put_nowait(None)  # a later anext ends too
            raise StopAsyncIteration
        return entry[0]

    async def aclose(self) -> None:
        self._fanout.detach(self)
        self.end()


class FanOut(Generic[T]):
    """Publishes each item to every open subscription."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription[T]] = []
        self._closed = False

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def subscribe(self) -> Subscription[T]:
        subscription = Subscription(self)
        if self._closed:
            subscription.end()
        else:
            self._subscriptions.append(subscription)
        return subscription

    def detach(self, subscription: Subscription[T]) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def publish(self, item: T) -> None:
        for subscription in self._subscriptions:
            subscription.push(item)

    def close(self) -> None:
        """End every subscription; later subscribers get an iterator that ends at once."""
        self._closed = True
        for subscription in self._subscriptions:
            subscription.end()
        self._subscriptions.clear()

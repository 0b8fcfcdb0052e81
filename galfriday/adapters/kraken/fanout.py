"""`EventFanout`: one reader of a single-consumer event source, any number of subscribers.

`KrakenStream.events()` is meant for one consumer, while the `ExchangeStream` port promises every caller of
`events()` every event from the moment it subscribed. The fan-out reads the source from the first
subscription on (until then the source keeps its events queued, so the first subscriber misses nothing) and
hands each event to every current subscriber. Subscriber queues are bounded: a subscriber that falls
`maxsize` events behind makes the reader wait, as the source itself does, rather than lose anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

__all__ = ["EventFanout"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _End:
    """Queued to end a subscriber's iteration."""


_END = _End()


class _Subscriber(AsyncIterator[T], Generic[T]):
    def __init__(self, maxsize: int, detach: Callable[[_Subscriber[T]], None]) -> None:
        self.queue: asyncio.Queue[T | _End] = asyncio.Queue(maxsize)
        self._detach = detach
        self._ended = False
        self._finishing = False

    def finish(self) -> None:
        """End the iteration once what is queued has been read."""
        self._finishing = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_END)

    async def __anext__(self) -> T:
        if self._ended or (self._finishing and self.queue.empty()):
            self._ended = True
            raise StopAsyncIteration
        item = await self.queue.get()
        if isinstance(item, _End):
            self._ended = True
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Stop receiving; the reader no longer waits for this subscriber."""
        self._ended = True
        self._detach(self)
        while not self.queue.empty():  # a reader waiting to put into this queue must not wait forever
            self.queue.get_nowait()


class EventFanout(Generic[T]):
    """Every event of `source()` to every subscriber; `close()` ends them all."""

    def __init__(self, source: Callable[[], AsyncIterator[T]], *, maxsize: int = 10_000) -> None:
        self._source = source
        self._maxsize = maxsize
        self._subscribers: list[_Subscriber[T]] = []
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    def subscribe(self) -> AsyncIterator[T]:
        subscriber: _Subscriber[T] = _Subscriber(self._maxsize, self._detach)
        if self._closed:
            subscriber.finish()
            return subscriber
        self._subscribers.append(subscriber)
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())
        return subscriber

    async def close(self) -> None:
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._end_all()

    async def _read(self) -> None:
        try:
            async for event in self._source():
                for subscriber in list(self._subscribers):
                    await subscriber.queue.put(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reading the event source failed; subscribers' iterations end")
        finally:
            self._end_all()

    def _end_all(self) -> None:
        subscribers, self._subscribers = self._subscribers, []
        for subscriber in subscribers:
            subscriber.finish()

    def _detach(self, subscriber: _Subscriber[T]) -> None:
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

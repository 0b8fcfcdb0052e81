"""The queue between a stream's readers and its `events()` consumer: bounded for data, never for control.

Data (orders, fills, balances, market data) waits for room, so a slow consumer slows the reader instead of
losing anything. Control items (health changes, recovery requests, the end) go in at once whatever the fill:
they are few, and the code that emits them may be running on behalf of the consumer itself (a `subscribe()`
called from the consumer's loop), which must not wait for the consumer. One FIFO keeps them in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

from galfriday.errors import InvalidValueError

__all__ = ["EventQueue"]

T = TypeVar("T")


class EventQueue(Generic[T]):
    def __init__(self, maxsize: int) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise InvalidValueError("maxsize", maxsize, "a positive number of items")
        self.maxsize = maxsize
        self._items: deque[T] = deque()
        self._not_empty = asyncio.Event()
        self._not_full = asyncio.Event()
        self._not_full.set()

    def __len__(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return len(self._items) >= self.maxsize

    def put_nowait(self, item: T) -> bool:
        """Add a data item if there is room; False (nothing added) when full."""
        if len(self._items) >= self.maxsize:
            return False
        self._items.append(item)
        self._not_empty.set()
        return True

    async def put(self, item: T) -> None:
        """Add a data item, waiting for room."""
        while len(self._items) >= self.maxsize:
            self._not_full.clear()
            await self._not_full.wait()
        self._items.append(item)
        self._not_empty.set()

    def put_control(self, item: T) -> None:
        """Add a control item now, beyond the bound if need be."""
        self._items.append(item)
        self._not_empty.set()

    async def get(self) -> T:
        while not self._items:
            self._not_empty.clear()
            await self._not_empty.wait()
        item = self._items.popleft()
        if len(self._items) < self.maxsize:
            self._not_full.set()
        return item

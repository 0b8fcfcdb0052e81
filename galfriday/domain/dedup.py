"""Bounded de-duplication of ids (execution ids, trade ids): remember the most recent N, forget the oldest.

One instance can be shared by several sources (the WebSocket stream and a REST backfill), so that a fill
delivered by both is applied once. Membership and insertion are O(1); eviction is first-in, first-out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from galfriday.errors import InvalidValueError

K = TypeVar("K", bound=Hashable)


class RecentIds(Generic[K]):
    """The last `capacity` distinct ids seen, in insertion order."""

    __slots__ = ("_capacity", "_order", "_seen")

    def __init__(self, capacity: int = 100_000) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity <= 0:
            raise InvalidValueError("capacity", capacity, "a positive number of ids to remember")
        self._capacity = capacity
        self._seen: set[K] = set()
        self._order: deque[K] = deque()

    @property
    def capacity(self) -> int:
        return self._capacity

    def add(self, key: K) -> bool:
        """Remember `key`; True if it is new, False if it was already remembered (a duplicate)."""
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self._capacity:
            self._seen.discard(self._order.popleft())
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._order)

    def clear(self) -> None:
        self._seen.clear()
        self._order.clear()

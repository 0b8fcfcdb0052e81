"""The event bus: ordered delivery per topic, bounded queues, backpressure instead of loss."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol


class Subscription(Protocol):
    """An async iterator over one topic's events, in publication order."""

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def __anext__(self) -> Any: ...

    @property
    def lag(self) -> int:
        """Events published but not yet consumed."""
        ...

    async def close(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, event: Any) -> None:
        """Deliver `event` to every current subscriber of `topic`; waits while a subscriber's queue is full."""
        ...

    def subscribe(self, topic: str, *, maxsize: int | None = None) -> Subscription:
        """Receive every event published on `topic` from now on. `"*"` receives every topic."""
        ...

    async def close(self) -> None:
        """Stop accepting events; subscribers drain what is queued, then their iteration ends."""
        ...

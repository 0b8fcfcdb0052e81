"""A service that runs its own tasks between `start()` and `close()` (stream recovery, the dead-man's switch),
as a supervised component: started by `run()`, closed when it stops or when its start fails.

A start that blocks (a backfill retrying while the exchange is down) does not hold up shutdown: `stop()`
cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class ServiceComponent:
    """The component `name` over a service's `start` and `close` callables."""

    def __init__(
        self, name: str, start: Callable[[], Awaitable[object]], close: Callable[[], Awaitable[object]]
    ) -> None:
        self._name = name
        self._start = start
        self._close = close
        self._stopping = asyncio.Event()

    @property
    def name(self) -> str:
        return self._name

    async def run(self) -> None:
        if self._stopping.is_set():  # stopped before it ever ran: release whatever the service holds
            await self._close()
            return
        starting = asyncio.ensure_future(self._start())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return
            starting.result()  # a failed start is a crash: the supervisor restarts us
            await stopping
        finally:
            for task in (starting, stopping):
                task.cancel()
            await self._close()

    async def stop(self) -> None:
        self._stopping.set()

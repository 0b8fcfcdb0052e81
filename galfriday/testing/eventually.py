"""Waiting, in asynchronous tests, for something the code under test does in the background.

Poll a check until it holds, and fail naming what never happened: one way to wait, instead of each test
module's own loop of sleeps and deadlines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(
    check: Callable[[], object], what: str, within: float = 3.0, *, interval: float = 0.01
) -> None:
    """Poll `check()` (sync, or returning a coroutine) every `interval` seconds until its result is truthy;
    `AssertionError` saying `what` did not happen when `within` seconds pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {within}s")
        await asyncio.sleep(interval)

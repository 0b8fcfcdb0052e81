"""Waiting for a condition in runtime tests: poll until true, fail with the description after a timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest


async def eventually(condition: Callable[[], bool], description: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within} s waiting until {description}")
        await asyncio.sleep(0.01)

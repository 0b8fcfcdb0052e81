"""Clocks: the real one, and a manual one that tests move by hand, so that time-driven behaviour is exact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from galfriday.domain.timestamps import utc


class SystemClock:
    """Real UTC time and real waiting."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that stands still until told to move; `sleep` moves it instead of waiting.

    `sleep` still yields to the event loop once, so other tasks run as they would during a real wait.
    """

    def __init__(self, start: datetime) -> None:
        self._now = utc("start", start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant` (timezone-aware), forwards or backwards."""
        self._now = utc("instant", instant)

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` and return the new instant; time never runs backwards here."""
        if seconds < 0:
            raise ValueError(f"advance: got {seconds} seconds; expected zero or more (use set() to go back)")
        self._now += timedelta(seconds=seconds)
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)

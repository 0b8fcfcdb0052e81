"""A periodic job as a supervised component: run an action every `every_seconds`, count each outcome.

A failing run is logged and counted (`galfriday_job_runs_total{outcome="failure"}`) and the job keeps its
schedule: a retention run that hits a bad archive should try again next period, not in a tight restart loop.
`stop()` lets a run in progress finish (the supervisor's deadline cancels it otherwise; units of work roll
back on cancellation).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from galfriday.errors import InvalidValueError
from galfriday.runtime.metrics import RuntimeMetrics

log = logging.getLogger(__name__)


class PeriodicJob:
    """The component `name`: waits `every_seconds` (first run after `first_delay_seconds`), runs, repeats."""

    def __init__(
        self,
        name: str,
        every_seconds: float,
        action: Callable[[], Awaitable[object]],
        *,
        metrics: RuntimeMetrics,
        first_delay_seconds: float | None = None,
    ) -> None:
        if not every_seconds > 0:
            raise InvalidValueError("every_seconds", every_seconds, "a number of seconds above 0")
        self._name = name
        self._every = every_seconds
        self._first_delay = every_seconds if first_delay_seconds is None else first_delay_seconds
        self._action = action
        self._metrics = metrics
        self._stopping = asyncio.Event()
        self._trigger = asyncio.Event()
        self.runs = 0
        self.failures = 0

    @property
    def name(self) -> str:
        return self._name

    def trigger(self) -> None:
        """Run now instead of waiting for the period to end (after a reconnect, for example)."""
        self._trigger.set()

    async def run(self) -> None:
        delay = self._first_delay
        while not self._stopping.is_set():
            if not await self._wait(delay):
                return
            await self._run_once()
            delay = self._every

    async def stop(self) -> None:
        self._stopping.set()

    async def _wait(self, seconds: float) -> bool:
        """Sleep `seconds` or until triggered; False once stopping."""
        stopping = asyncio.ensure_future(self._stopping.wait())
        triggered = asyncio.ensure_future(self._trigger.wait())
        try:
            await asyncio.wait({stopping, triggered}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            triggered.cancel()
        self._trigger.clear()
        return not self._stopping.is_set()

    async def _run_once(self) -> None:
        started = time.monotonic()
        try:
            await self._action()
        except Exception:
            self.failures += 1
            self._metrics.job_runs.labels(self._name, "failure").inc()
            log.exception(
                "job %s failed after %.3f s; next run in %.0f s",
                self._name,
                time.monotonic() - started,
                self._every,
            )
        else:
            self._metrics.job_runs.labels(self._name, "success").inc()
            log.info("job %s finished in %.3f s", self._name, time.monotonic() - started)
        finally:
            self.runs += 1

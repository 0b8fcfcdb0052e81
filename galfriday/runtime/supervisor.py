"""The supervisor: start named components in order, restart a crashed one after a backoff, stop them in reverse.

Nothing dies silently: every crash and unexpected exit is logged with its traceback and counted in
`galfriday_component_restarts_total`, and the component's state (`running`, `restarting`, `stopped`) is what
`/health` reports. `on_crash` (the runtime sends an alert through the notifier) hears of the first crash of a
streak and of every `ESCALATE_EVERY`-th in a row, so a crash loop is reported without flooding anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from galfriday.errors import InvalidValueError
from galfriday.runtime.backoff import Backoff
from galfriday.runtime.component import Component
from galfriday.runtime.metrics import RuntimeMetrics

log = logging.getLogger(__name__)


ESCALATE_EVERY = 5
"""A crash streak is reported again every this many crashes in a row."""

CrashHandler = Callable[[str, int, BaseException | None], Awaitable[None]]
"""Called with the component's name, the crashes in a row, and the error (None for an early return)."""


class ComponentState(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    RESTARTING = "restarting"
    STOPPED = "stopped"


class Supervisor:
    """Runs each component's `run()` in a task of its own, for as long as the supervisor runs."""

    def __init__(
        self,
        components: Sequence[Component],
        *,
        backoff: Backoff,
        metrics: RuntimeMetrics,
        on_crash: CrashHandler | None = None,
    ) -> None:
        names = [component.name for component in components]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidValueError("components", duplicates, "unique component names")
        self._components = tuple(components)
        self._backoff = backoff
        self._metrics = metrics
        self._on_crash = on_crash
        self._states = dict.fromkeys(names, ComponentState.PENDING)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()

    @property
    def components(self) -> tuple[Component, ...]:
        return self._components

    def states(self) -> dict[str, ComponentState]:
        return dict(self._states)

    def start(self) -> None:
        """Start every component, in the given order."""
        for component in self._components:
            task = asyncio.create_task(self._supervise(component), name=f"galfriday:{component.name}")
            task.add_done_callback(self._supervision_ended)
            self._tasks[component.name] = task

    async def stop(self, timeout_seconds: float) -> list[str]:
        """Stop components in reverse order, each finishing what it accepted; cancel what overruns the deadline.

        The deadline is shared: once one component has used it up, those stopped after it are cancelled.

        Returns the names of components that had to be cancelled (empty when everything stopped cleanly).
        """
        self._stopping.set()
        deadline = time.monotonic() + timeout_seconds
        cancelled: list[str] = []
        for component in reversed(self._components):
            task = self._tasks.get(component.name)
            if task is None or task.done():
                self._states[component.name] = ComponentState.STOPPED
                continue
            try:
                await asyncio.wait_for(self._stop_one(component, task), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                log.error(
                    "component %s did not stop within the shutdown timeout; cancelling it", component.name
                )
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                cancelled.append(component.name)
            except Exception:
                log.exception("component %s failed while stopping", component.name)
            self._states[component.name] = ComponentState.STOPPED
        return cancelled

    @staticmethod
    async def _stop_one(component: Component, task: asyncio.Task[None]) -> None:
        await component.stop()
        await asyncio.shield(task)

    async def _supervise(self, component: Component) -> None:
        """Run the component, again after each crash, until stopping. It runs at least once, even when stopped
        before its task got to run, so that `run()` can finish what it holds (flush a buffer, drain a queue)."""
        crashes = 0
        while True:
            self._states[component.name] = ComponentState.RUNNING
            started = time.monotonic()
            error: BaseException | None = None
            try:
                await component.run()
            except Exception as exc:
                if self._stopping.is_set():
                    log.exception("component %s failed while stopping", component.name)
                    return
                log.exception("component %s crashed", component.name)
                error = exc
            else:
                if self._stopping.is_set():
                    return
                log.error("component %s returned while the runtime is running", component.name)
            if self._backoff.is_stable(time.monotonic() - started):
                crashes = 0
            delay = self._backoff.delay(crashes)
            crashes += 1
            if crashes == 1 or crashes % ESCALATE_EVERY == 0:
                await self._report_crash(component.name, crashes, error)
            self._states[component.name] = ComponentState.RESTARTING
            self._metrics.component_restarts.labels(component.name).inc()
            log.warning(
                "restarting component %s in %.2f s (crash %d in a row)", component.name, delay, crashes
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return

    async def _report_crash(self, name: str, crashes: int, error: BaseException | None) -> None:
        if self._on_crash is None:
            return
        try:
            await self._on_crash(name, crashes, error)
        except Exception:  # a report that cannot be sent must not stop the restart
            log.exception("could not report the crash of component %s", name)

    def _supervision_ended(self, task: asyncio.Task[None]) -> None:
        """A supervision loop itself must never end by surprise; if it does, say so loudly."""
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.critical("supervision of %s ended by an error", task.get_name(), exc_info=error)

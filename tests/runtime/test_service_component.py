"""A self-tasked service under the supervisor: started by run(), closed on stop or after a failed start; a
start that blocks does not hold up shutdown."""

from __future__ import annotations

import asyncio
import os
import signal

from runtime_waiting import eventually

from galfriday.runtime import Backoff, Supervisor
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.service_component import ServiceComponent
from galfriday.runtime.signals import stop_on_signals


class Service:
    def __init__(self, *, failing_starts: int = 0, blocking: bool = False) -> None:
        self.journal: list[str] = []
        self.failing_starts = failing_starts
        self.blocking = blocking

    async def start(self) -> None:
        self.journal.append("start")
        if self.failing_starts:
            self.failing_starts -= 1
            raise ConnectionError("exchange down")
        if self.blocking:
            await asyncio.sleep(3600)

    async def close(self) -> None:
        self.journal.append("close")


async def test_the_service_is_started_by_run_and_closed_by_stop() -> None:
    service = Service()
    component = ServiceComponent("recovery", service.start, service.close)
    running = asyncio.create_task(component.run())
    await eventually(lambda: service.journal == ["start"], "started")
    await component.stop()
    await asyncio.wait_for(running, 5)
    assert service.journal == ["start", "close"]


async def test_a_failed_start_closes_the_service_and_the_supervisor_starts_it_again() -> None:
    service, metrics = Service(failing_starts=1), RuntimeMetrics()
    supervisor = Supervisor(
        [ServiceComponent("recovery", service.start, service.close)],
        backoff=Backoff(initial_seconds=0.01, max_seconds=0.01),
        metrics=metrics,
    )
    supervisor.start()
    await eventually(lambda: service.journal == ["start", "close", "start"], "started a second time")
    assert await supervisor.stop(5) == []
    assert service.journal[-1] == "close"


async def test_stop_cancels_a_start_that_blocks() -> None:
    service = Service(blocking=True)
    component = ServiceComponent("recovery", service.start, service.close)
    running = asyncio.create_task(component.run())
    await eventually(lambda: service.journal == ["start"], "starting")
    await component.stop()
    await asyncio.wait_for(running, 5)
    assert service.journal == ["start", "close"]


async def test_sigint_and_sigterm_set_the_stop_event_instead_of_killing_the_process() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        stop = asyncio.Event()
        with stop_on_signals(stop):
            os.kill(os.getpid(), sig)
            await asyncio.wait_for(stop.wait(), 5)
        assert stop.is_set()

"""The supervisor starts components in order, restarts crashed ones with backoff, and stops them in reverse."""

from __future__ import annotations

import asyncio
import logging

import pytest
from runtime_waiting import eventually

from galfriday.errors import InvalidValueError
from galfriday.runtime import Backoff, ComponentState, Supervisor
from galfriday.runtime.metrics import RuntimeMetrics

FAST = Backoff(initial_seconds=0.01, max_seconds=0.02)


class Worker:
    """Runs until stopped; crashes on its first `crashes` runs; may return early or ignore stop."""

    def __init__(
        self,
        name: str,
        journal: list[str],
        *,
        crashes: int = 0,
        returns: bool = False,
        stubborn: bool = False,
    ) -> None:
        self.name = name
        self.journal = journal
        self.crashes = crashes
        self.returns = returns
        self.stubborn = stubborn
        self.runs = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        self.journal.append(f"run {self.name}")
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError(f"{self.name} lost its connection")
        if self.returns:
            self.returns = False
            return
        if self.stubborn:
            await asyncio.sleep(3600)
        await self._stop.wait()
        self.journal.append(f"stopped {self.name}")

    async def stop(self) -> None:
        self._stop.set()


def restarts(metrics: RuntimeMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value("galfriday_component_restarts_total", {"component": name})
    return value or 0.0


async def test_components_start_in_the_given_order_and_stop_in_reverse() -> None:
    journal: list[str] = []
    supervisor = Supervisor(
        [Worker("a", journal), Worker("b", journal)], backoff=FAST, metrics=RuntimeMetrics()
    )
    supervisor.start()
    await eventually(lambda: len(journal) == 2, "both components run")
    assert await supervisor.stop(5) == []
    assert journal == ["run a", "run b", "stopped b", "stopped a"]
    assert supervisor.states() == {"a": ComponentState.STOPPED, "b": ComponentState.STOPPED}


async def test_a_crashed_component_is_restarted_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    journal: list[str] = []
    metrics = RuntimeMetrics()
    flaky = Worker("intake", journal, crashes=2)
    supervisor = Supervisor([flaky], backoff=FAST, metrics=metrics)
    with caplog.at_level(logging.WARNING, logger="galfriday.runtime.supervisor"):
        supervisor.start()
        await eventually(lambda: flaky.runs == 3, "the third run")
        await eventually(lambda: supervisor.states()["intake"] is ComponentState.RUNNING, "running again")
    assert restarts(metrics, "intake") == 2
    crash_logs = [r for r in caplog.records if r.getMessage() == "component intake crashed"]
    assert len(crash_logs) == 2
    assert crash_logs[0].exc_info is not None
    assert "lost its connection" in str(crash_logs[0].exc_info[1])
    await supervisor.stop(5)


async def test_a_component_that_returns_while_running_is_restarted() -> None:
    journal: list[str] = []
    metrics = RuntimeMetrics()
    quitter = Worker("jobs", journal, returns=True)
    supervisor = Supervisor([quitter], backoff=FAST, metrics=metrics)
    supervisor.start()
    await eventually(lambda: quitter.runs == 2, "a second run")
    assert restarts(metrics, "jobs") == 1
    await supervisor.stop(5)


async def test_a_component_that_overruns_the_shutdown_deadline_is_cancelled_and_named() -> None:
    journal: list[str] = []
    supervisor = Supervisor(
        [Worker("stuck", journal, stubborn=True), Worker("good", journal)],
        backoff=FAST,
        metrics=RuntimeMetrics(),
    )
    supervisor.start()
    await eventually(lambda: len(journal) == 2, "both components run")
    assert await supervisor.stop(0.2) == ["stuck"]
    assert "stopped good" in journal


async def test_stopping_during_a_restart_backoff_does_not_start_the_component_again() -> None:
    journal: list[str] = []
    doomed = Worker("doomed", journal, crashes=1)
    supervisor = Supervisor(
        [doomed], backoff=Backoff(initial_seconds=30, max_seconds=30), metrics=RuntimeMetrics()
    )
    supervisor.start()
    await eventually(lambda: supervisor.states()["doomed"] is ComponentState.RESTARTING, "in backoff")
    assert await supervisor.stop(1) == []
    assert doomed.runs == 1


def test_two_components_with_one_name_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="unique component names"):
        Supervisor([Worker("x", []), Worker("x", [])], backoff=FAST, metrics=RuntimeMetrics())


async def test_a_component_stopped_before_it_got_to_run_still_runs_once_to_finish_its_work() -> None:
    journal: list[str] = []
    late = Worker("buffer", journal)
    supervisor = Supervisor([late], backoff=FAST, metrics=RuntimeMetrics())
    supervisor.start()
    assert await supervisor.stop(5) == []  # no await between start and stop: its task had not run yet
    assert journal == ["run buffer", "stopped buffer"]


async def test_a_crash_streak_is_reported_at_its_first_crash_and_every_fifth() -> None:
    journal: list[str] = []
    reports: list[tuple[str, int, str]] = []

    async def on_crash(name: str, crashes: int, error: BaseException | None) -> None:
        reports.append((name, crashes, str(error)))

    flaky = Worker("intake", journal, crashes=6)
    supervisor = Supervisor(
        [flaky],
        backoff=Backoff(initial_seconds=0.001, max_seconds=0.001),
        metrics=RuntimeMetrics(),
        on_crash=on_crash,
    )
    supervisor.start()
    await eventually(lambda: flaky.runs == 7, "the seventh run")
    assert await supervisor.stop(5) == []
    assert reports == [
        ("intake", 1, "intake lost its connection"),
        ("intake", 5, "intake lost its connection"),
    ]


async def test_a_crash_report_that_fails_does_not_stop_the_restart() -> None:
    async def broken(name: str, crashes: int, error: BaseException | None) -> None:
        raise ConnectionError("chat service down")

    flaky = Worker("intake", [], crashes=1)
    supervisor = Supervisor([flaky], backoff=FAST, metrics=RuntimeMetrics(), on_crash=broken)
    supervisor.start()
    await eventually(lambda: flaky.runs == 2, "restarted")
    assert await supervisor.stop(5) == []

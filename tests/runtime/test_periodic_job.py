"""Periodic jobs: run on their schedule, survive a failing run, run at once when triggered, finish on stop."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from runtime_waiting import eventually

from galfriday.errors import InvalidValueError
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.periodic import PeriodicJob


def runs(metrics: RuntimeMetrics, job: str, outcome: str) -> float:
    return (
        metrics.registry.get_sample_value("galfriday_job_runs_total", {"job": job, "outcome": outcome}) or 0.0
    )


async def test_the_action_runs_once_per_period() -> None:
    metrics, calls = RuntimeMetrics(), []

    async def action() -> None:
        calls.append(asyncio.get_running_loop().time())

    job = PeriodicJob("retention", 0.02, action, metrics=metrics)
    running = asyncio.create_task(job.run())
    await eventually(lambda: len(calls) >= 3, "three runs")
    await job.stop()
    await asyncio.wait_for(running, 5)
    assert all(later - earlier >= 0.015 for earlier, later in itertools.pairwise(calls))
    assert runs(metrics, "retention", "success") == len(calls)


async def test_a_failing_run_is_counted_and_the_schedule_goes_on() -> None:
    metrics, outcomes = RuntimeMetrics(), iter([RuntimeError("archive unreadable")])

    async def action() -> None:
        error = next(outcomes, None)
        if error is not None:
            raise error

    job = PeriodicJob("retention", 0.01, action, metrics=metrics)
    running = asyncio.create_task(job.run())
    await eventually(lambda: job.runs >= 3, "three runs")
    await job.stop()
    await asyncio.wait_for(running, 5)
    assert runs(metrics, "retention", "failure") == 1
    assert runs(metrics, "retention", "success") == job.runs - 1


async def test_a_trigger_runs_the_job_before_its_period_ends() -> None:
    calls: list[str] = []

    async def action() -> None:
        calls.append("ran")

    job = PeriodicJob("reconciliation", 3600, action, metrics=RuntimeMetrics())
    running = asyncio.create_task(job.run())
    await asyncio.sleep(0.02)
    assert calls == []
    job.trigger()
    await eventually(lambda: calls == ["ran"], "the triggered run")
    await job.stop()
    await asyncio.wait_for(running, 5)


async def test_stop_lets_the_run_in_progress_finish() -> None:
    started, finished = asyncio.Event(), []

    async def action() -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append("done")

    job = PeriodicJob("retention", 3600, action, metrics=RuntimeMetrics(), first_delay_seconds=0)
    running = asyncio.create_task(job.run())
    await asyncio.wait_for(started.wait(), 5)
    await job.stop()
    await asyncio.wait_for(running, 5)
    assert finished == ["done"]


def test_a_period_of_zero_is_refused() -> None:
    async def action() -> None:
        return None

    with pytest.raises(InvalidValueError, match="every_seconds"):
        PeriodicJob("retention", 0, action, metrics=RuntimeMetrics())

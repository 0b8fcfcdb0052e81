"""`serve`: the whole process lifetime in one call, as `galfriday run` uses it: start, run until told, shut down
within the timeout, close the adapters."""

from __future__ import annotations

import asyncio

from runtime_fixtures import memory_config

from galfriday.runtime.process import serve


async def test_serve_runs_until_stopped_then_reports_a_clean_shutdown() -> None:
    stop, started = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(serve(memory_config(), stop, started=started))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    report = await asyncio.wait_for(serving, 15)
    assert report.clean
    assert report.adapters_closed
    assert report.seconds < memory_config().runtime.shutdown_timeout_seconds

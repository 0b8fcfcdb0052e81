"""Durability: a writer killed with SIGKILL mid-stream loses nothing the store had acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.testing import samples

pytestmark = pytest.mark.postgres

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from galfriday.adapters.postgres.store import PostgresStore
    from galfriday.testing import samples

    async def main(dsn):
        store = PostgresStore(dsn, pool_min_size=1, pool_max_size=1)
        await store.start()
        number = 0
        while True:
            exec_id = f"durable-{number}"
            async with store.unit_of_work() as uow:
                await uow.executions.add(samples.execution(exec_id, timestamp=samples.instant(number)))
                await uow.commit()
            print(exec_id, flush=True)
            number += 1

    asyncio.run(main(sys.argv[1]))
    """
)

ACKNOWLEDGED_BEFORE_KILL = 200
STARTUP_TIMEOUT_SECONDS = 60


def acknowledged_until_killed(dsn: str) -> list[str]:
    """Run the writer, SIGKILL it once it has acknowledged enough, and return every exec_id it printed."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, dsn], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    acknowledged: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    try:
        assert writer.stdout is not None
        while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            acknowledged.append(line.strip())
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        rest, errors = writer.communicate(timeout=30)
    acknowledged += [line.strip() for line in rest.splitlines() if line.strip()]
    assert writer.returncode == -signal.SIGKILL
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, errors
    return acknowledged


async def stored_exec_ids(dsn: str) -> set[str]:
    """What a new store, opened after the kill, finds."""
    store = PostgresStore(dsn)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            return {execution.exec_id for execution in await uow.executions.since(samples.instant(-1))}
    finally:
        await store.close()


def test_every_acknowledged_execution_survives_a_sigkill_of_the_writer(migrated_dsn: str) -> None:
    acknowledged = acknowledged_until_killed(migrated_dsn)
    stored = asyncio.run(stored_exec_ids(migrated_dsn))
    assert [exec_id for exec_id in acknowledged if exec_id not in stored] == []
    assert len(stored) - len(acknowledged) in (0, 1), "at most the one commit in flight went unacknowledged"

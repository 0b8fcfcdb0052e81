"""Durability: a process killed with SIGKILL mid-stream loses nothing the SQLite store had acknowledged.

A child process writes one execution per committed unit of work and prints each exec id only after `commit`
returned. The test kills it without warning, reopens the file with a new store, and finds every printed id.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.testing import samples

WRITER = """
import asyncio, sys
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.testing import samples

async def main(path, first):
    store = SqliteStore(path)
    await store.start()
    number = first
    while True:
        exec_id = f"x-{number:08d}"
        async with store.unit_of_work() as uow:
            await uow.executions.add(samples.execution(exec_id, timestamp=samples.instant(number)))
            await uow.commit()
        sys.stdout.write(exec_id + "\\n")
        sys.stdout.flush()
        number += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""

ACKNOWLEDGED_BEFORE_KILL = 150
ROUNDS = 3
DEADLINE_SECONDS = 60


def write_until_killed(db_file: Path, first: int) -> list[str]:
    """Run the writer, SIGKILL it after enough acknowledgements; return every id it printed in full."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_file), str(first)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=db_file.parent,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    output = b""
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while output.count(b"\n") < ACKNOWLEDGED_BEFORE_KILL:
            assert time.monotonic() < deadline, "the writer acknowledged too little in time"
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                chunk = os.read(child.stdout.fileno(), 65536)
                assert chunk, f"the writer died: {child.stderr.read().decode()}"
                output += chunk
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=DEADLINE_SECONDS)
        output += child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return [line.decode() for line in output.split(b"\n")[:-1]]


async def stored_exec_ids(db_file: Path) -> list[str]:
    store = SqliteStore(db_file)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            found = await uow.executions.since(samples.instant(0) - timedelta(days=1))
    finally:
        await store.close()
    return [execution.exec_id for execution in found]


async def test_every_acknowledged_write_survives_sigkill_of_the_writer(tmp_path: Path) -> None:
    db_file = tmp_path / "durable.db"
    acknowledged: list[str] = []
    for _ in range(ROUNDS):
        first = len(await stored_exec_ids(db_file)) if db_file.exists() else 0
        acknowledged += write_until_killed(db_file, first)
        stored = await stored_exec_ids(db_file)
        missing = sorted(set(acknowledged) - set(stored))
        assert missing == [], f"{len(missing)} acknowledged executions lost, first {missing[:3]}"
        unacknowledged = sorted(set(stored) - set(acknowledged))
        assert len(unacknowledged) <= 1, "at most the write committed just before the kill goes unprinted"
    assert len(acknowledged) >= ROUNDS * ACKNOWLEDGED_BEFORE_KILL

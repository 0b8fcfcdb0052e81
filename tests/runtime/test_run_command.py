"""`galfriday run` as a real process on a SQLite store: it serves /health and /metrics, and SIGTERM shuts it
down within the timeout with exit status 0, every event it accepted applied and persisted.

What "persisted" means here: the venue delivers fills in the order it makes them, the intake applies a prefix
of that stream (and the start-up backfill a prefix of the venue's history), so the stored fills must be exactly
the venue's first N fills, at least as many as the intake applied: a lost accepted event shows as a gap or a
short prefix."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from galfriday.adapters.sqlite.store import SqliteStore

HERE = Path(__file__).parent
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
GALFRIDAY = Path(sys.executable).parent / "galfriday"
SHUTDOWN_TIMEOUT = 10.0
SERVING = re.compile(r"serving /health and /metrics on (http://\S+)")
SUMMARY = re.compile(
    r"shutdown complete in [\d.]+ s: intake accepted (\d+) events, applied (\d+) \((.*)\), backlog 0"
)


def install_busy_venue_plugin(site: Path) -> None:
    """Make `runtime_busy_venue` an installed distribution with a `galfriday` entry point."""
    info = site / "galfriday_busy_venue-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: galfriday-busy-venue\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text("[galfriday]\nbusy = runtime_busy_venue\n")


def write_config(path: Path, database: Path, truth: Path) -> None:
    path.write_text(
        f"""
[store]
adapter = "sqlite"
dsn = "{database}"

[exchange]
adapter = "busy"
settings = {{ interval_seconds = 0.001, truth_file = "{truth}" }}

[retention]
archive = "memory"

[runtime]
http_host = "127.0.0.1"
http_port = 0
shutdown_timeout_seconds = {SHUTDOWN_TIMEOUT}
intake_queue_size = 50

[logging]
level = "INFO"
"""
    )


async def read_until(
    stream: asyncio.StreamReader, pattern: re.Pattern[str], seen: list[str]
) -> re.Match[str]:
    while True:
        line = (await asyncio.wait_for(stream.readline(), 30)).decode()
        if not line:
            pytest.fail("galfriday run ended before logging the pattern:\n" + "".join(seen))
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match


async def processed(session: aiohttp.ClientSession, url: str, kind: str) -> float:
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    for family in text_string_to_metric_families(text):
        if family.name == "galfriday_messages_processed":
            return sum(
                s.value for s in family.samples if s.labels.get("kind") == kind and s.name.endswith("_total")
            )
    return 0.0


async def test_sigterm_shuts_down_in_time_with_status_0_and_everything_accepted_persisted(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    install_busy_venue_plugin(site)
    database, config, truth = tmp_path / "run.db", tmp_path / "galfriday.toml", tmp_path / "truth.json"
    write_config(config, database, truth)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(HERE)])}
    env = {k: v for k, v in env.items() if not k.startswith("GALFRIDAY_")}
    process = await asyncio.create_subprocess_exec(
        str(GALFRIDAY), "run", "--config", str(config), env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        url = (await read_until(process.stderr, SERVING, log)).group(1)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/health") as response:
                health = await response.json()
            assert response.status == 200, health
            assert health["store"]["reachable"] is True
            deadline = time.monotonic() + 30
            while await processed(session, url, "exchange.execution") < 50:
                assert time.monotonic() < deadline, "fills never reached the intake"
                await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        summary_task = asyncio.ensure_future(read_until(process.stderr, SUMMARY, log))
        status = await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT + 5)
        took = time.monotonic() - signalled
        summary = await asyncio.wait_for(summary_task, 5)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert status == 0, "".join(log)
    assert took < SHUTDOWN_TIMEOUT
    assert "Traceback" not in "".join(log)
    accepted, applied = int(summary.group(1)), int(summary.group(2))
    by_topic = {k: int(v) for k, v in (part.rsplit(" ", 1) for part in summary.group(3).split(", "))}
    assert accepted == applied == sum(by_topic.values())

    store = SqliteStore(database)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            executions = await uow.executions.since(EPOCH)
            orders = await uow.orders.list_updated_since(EPOCH)
            position = await uow.positions.get("BTC/USD")
    finally:
        await store.close()
    venue_fills = json.loads(truth.read_text())
    stored = {e.exec_id for e in executions}
    assert len(stored) >= by_topic["exchange.execution"]
    assert stored == set(venue_fills[: len(stored)]), "the stored fills are not a prefix of the venue's"
    # A fill whose order report was still on the stream at shutdown is stored and waits for its order (the
    # tracker applies it when the order is reported, or the next start's backfill); every other fill moved
    # its order and the position.
    known = {order.exchange_order_id for order in orders}
    assert position is not None
    assert position.quantity == sum((e.quantity for e in executions if e.order_id in known), Decimal(0))
    assert len([e for e in executions if e.order_id not in known]) <= 1
    filled_by_order: dict[str, Decimal] = {}
    for execution in executions:
        filled_by_order[execution.order_id] = (
            filled_by_order.get(execution.order_id, Decimal(0)) + execution.quantity
        )
    for order in orders:
        assert order.exchange_order_id is not None
        assert order.filled_quantity == filled_by_order.get(order.exchange_order_id, Decimal(0)), order


def test_a_configuration_error_exits_with_status_2_naming_the_bad_value(tmp_path: Path) -> None:
    config = tmp_path / "galfriday.toml"
    config.write_text("[runtime]\nhttp_port = 70000\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")}
    result = subprocess.run(
        [str(GALFRIDAY), "run", "--config", str(config)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "runtime.http_port" in result.stderr
    assert "70000" in result.stderr


async def test_with_the_exchange_unreachable_it_serves_503_and_still_stops_cleanly(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    config = tmp_path / "galfriday.toml"
    config.write_text(
        f"""
[store]
dsn = "{tmp_path / "run.db"}"

[exchange]
adapter = "kraken"

[kraken]
rest_url = "http://127.0.0.1:{dead}"
ws_url = "ws://127.0.0.1:{dead}/v2"
ws_auth_url = "ws://127.0.0.1:{dead}/v2"

[retention]
archive = "memory"

[runtime]
http_port = 0
shutdown_timeout_seconds = {SHUTDOWN_TIMEOUT}
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")}
    env.update(
        GALFRIDAY_KRAKEN_API_KEY="key", GALFRIDAY_KRAKEN_API_SECRET=base64.b64encode(b"s" * 64).decode()
    )
    process = await asyncio.create_subprocess_exec(
        str(GALFRIDAY), "run", "--config", str(config), env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        url = (await read_until(process.stderr, SERVING, log)).group(1)
        async with aiohttp.ClientSession() as session, session.get(f"{url}/health") as response:
            assert response.status == 503
            assert (await response.json())["stream"]["healthy"] is False
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        summary = asyncio.ensure_future(read_until(process.stderr, SUMMARY, log))
        status = await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT + 5)
        took = time.monotonic() - signalled
        await asyncio.wait_for(summary, 5)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert status == 0, "".join(log)
    assert took < SHUTDOWN_TIMEOUT

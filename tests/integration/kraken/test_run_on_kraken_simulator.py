"""`galfriday run` end to end on the Kraken simulator: a real process with the Kraken adapter (REST and the
WebSocket v2 stream) and a SQLite store. Orders on the account fill while it runs (also while its connection
is down); /health and /metrics say so; SIGTERM stops it with status 0; the store then holds exactly the
simulator's fills and order states."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
from kraken_sim_market import KEY, SECRET, rest_client, simulator

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.testing.kraken_simulator import KrakenSimulator

GALFRIDAY = Path(sys.executable).parent / "galfriday"
SYMBOL = "BTC/USD"
QUANTITY = Decimal("0.0100")
PRICES = [Decimal(29000 + 100 * i) for i in range(6)]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SHUTDOWN_TIMEOUT = 15.0
SERVING = re.compile(r"serving /health and /metrics on (http://\S+)")


class Galfriday:
    """A `galfriday run` process on the simulator: its URL, its log, and its exit."""

    def __init__(
        self, process: asyncio.subprocess.Process, url: str, log: list[str], http: aiohttp.ClientSession
    ):
        self.process = process
        self.url = url
        self.log = log
        self.http = http
        self.status: int | None = None
        self.stop_seconds: float | None = None

    async def health(self) -> tuple[int, dict[str, object]]:
        async with self.http.get(f"{self.url}/health") as response:
            return response.status, await response.json()

    async def metric(self, name: str, **labels: str) -> float:
        async with self.http.get(f"{self.url}/metrics") as response:
            text = await response.text()
        selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        pattern = "^" + re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if labels else "") + r" (\S+)"
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    async def until(
        self, condition: Callable[[], Awaitable[bool]], description: str, within: float = 30
    ) -> None:
        deadline = time.monotonic() + within
        while not await condition():
            assert time.monotonic() < deadline, f"timed out waiting until {description}:\n{''.join(self.log)}"
            await asyncio.sleep(0.1)

    async def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        self.status = await asyncio.wait_for(self.process.wait(), SHUTDOWN_TIMEOUT + 5)
        self.stop_seconds = time.monotonic() - signalled


@asynccontextmanager
async def galfriday_run(sim: KrakenSimulator, tmp_path: Path) -> AsyncIterator[Galfriday]:
    config = tmp_path / "galfriday.toml"
    config.write_text(
        f"""
[store]
adapter = "sqlite"
dsn = "{tmp_path / "run.db"}"

[exchange]
adapter = "kraken"

[retention]
archive = "memory"

[runtime]
http_port = 0
shutdown_timeout_seconds = {SHUTDOWN_TIMEOUT}
recovery_poll_seconds = 1.0

[kraken]
rate_tier = "pro"
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")}
    env.update(
        GALFRIDAY_KRAKEN_REST_URL=sim.rest_url,
        GALFRIDAY_KRAKEN_WS_URL=sim.ws_url,
        GALFRIDAY_KRAKEN_WS_AUTH_URL=sim.ws_auth_url,
        GALFRIDAY_KRAKEN_API_KEY=KEY,
        GALFRIDAY_KRAKEN_API_SECRET=SECRET,
    )
    process = await asyncio.create_subprocess_exec(
        str(GALFRIDAY), "run", "--config", str(config), env=env, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    log: list[str] = []
    try:
        url = await _served_url(process.stderr, log)
        reading = asyncio.ensure_future(_collect(process.stderr, log))
        async with aiohttp.ClientSession() as http:
            running = Galfriday(process, url, log, http)

            async def ready() -> bool:
                status, body = await running.health()
                return status == 200 and body["last_reconciliation"] is not None

            await running.until(ready, "healthy after its start-up reconciliation")
            yield running
            if running.status is None:
                await running.terminate()
        await asyncio.wait_for(reading, 5)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def place_bids(sim: KrakenSimulator) -> None:
    async with rest_client(sim) as client:
        for n, price in enumerate(PRICES):
            order = Order.create(
                client_order_id=f"run-e2e-{n}",
                symbol=SYMBOL,
                side=OrderSide.BUY,
                order_type=OrderType.LIMIT,
                quantity=QUANTITY,
                limit_price=price,
                at=datetime.now(UTC),
            )
            await client.add_order(order)


def sell_into(sim: KrakenSimulator, prices: list[Decimal]) -> None:
    for price in sorted(prices, reverse=True):  # best bid first, so each sale fills the bid at its price
        assert sim.market.trade(SYMBOL, OrderSide.SELL, price, QUANTITY) == QUANTITY


async def assert_store_matches_the_simulator(database: Path, sim: KrakenSimulator, fills: int) -> None:
    truth = sim.truth()
    store = SqliteStore(database)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            stored = await uow.executions.since(EPOCH)
            orders = {o.exchange_order_id: o for o in await uow.orders.list_updated_since(EPOCH)}
            position = await uow.positions.get(SYMBOL)
    finally:
        await store.close()
    assert sorted(e.exec_id for e in stored) == sorted(e.exec_id for e in truth.domain_executions())
    assert len(stored) == fills
    for txid, sim_order in truth.orders.items():
        assert orders[txid].filled_quantity == sim_order.vol_exec
        assert orders[txid].status.value == sim_order.ws_status
    assert position is not None
    assert position.quantity == QUANTITY * fills


def assert_clean_exit(run: Galfriday) -> None:
    output = "".join(run.log)
    assert run.status == 0, output
    assert run.stop_seconds is not None
    assert run.stop_seconds < SHUTDOWN_TIMEOUT
    assert "shutdown complete" in output
    assert "Traceback" not in output


async def test_galfriday_run_tracks_kraken_fills_into_sqlite_and_stops_cleanly(tmp_path: Path) -> None:
    async with simulator() as sim, galfriday_run(sim, tmp_path) as run:
        await place_bids(sim)
        sell_into(sim, PRICES[1:])  # the lowest bid is never reached: it stays open

        async def applied() -> bool:
            return await run.metric("galfriday_messages_processed_total", kind="exchange.execution") >= 5

        await run.until(applied, "every fill applied")
        assert await run.metric("galfriday_journal_frames_dropped") == 0
        await run.terminate()
    assert_clean_exit(run)
    await assert_store_matches_the_simulator(tmp_path / "run.db", sim, fills=5)

    # every fill came over the stream, so the raw journal alone rebuilds what the store holds
    replay = await asyncio.create_subprocess_exec(
        str(GALFRIDAY),
        "--config",
        str(tmp_path / "galfriday.toml"),
        "replay",
        "--json",
        env={k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(replay.communicate(), 120)
    assert replay.returncode == 0, (out + err).decode()
    document = json.loads(out)
    assert document["identical"] is True


async def test_fills_made_while_the_connection_is_down_are_backfilled_and_reconciled(tmp_path: Path) -> None:
    async with simulator() as sim, galfriday_run(sim, tmp_path) as run:
        await place_bids(sim)

        async def bids_known() -> bool:
            return await run.metric("galfriday_messages_processed_total", kind="exchange.order") >= len(
                PRICES
            )

        await run.until(bids_known, "the bids reported")
        sim.chaos.refuse_connections(1.5)
        sim.chaos.drop_connections()
        sell_into(sim, PRICES[2:])  # while nobody is connected: only REST can tell

        async def recovered() -> bool:
            status, body = await run.health()
            return (
                status == 200
                and await run.metric("galfriday_gaps_backfilled_total") >= 1
                and body["last_reconciliation"]["kind"] == "reconnect"  # type: ignore[index]
            )

        await run.until(recovered, "backfilled, reconciled and healthy after the reconnect", within=60)
        assert await run.metric("galfriday_stream_reconnects_total") >= 1
        await run.terminate()
    assert_clean_exit(run)
    await assert_store_matches_the_simulator(tmp_path / "run.db", sim, fills=4)


async def _served_url(stream: asyncio.StreamReader, log: list[str]) -> str:
    while True:
        line = (await asyncio.wait_for(stream.readline(), 60)).decode()
        assert line, "galfriday run ended before serving:\n" + "".join(log)
        log.append(line)
        match = SERVING.search(line)
        if match:
            return match.group(1)


async def _collect(stream: asyncio.StreamReader, log: list[str]) -> None:
    while line := await stream.readline():
        log.append(line.decode())

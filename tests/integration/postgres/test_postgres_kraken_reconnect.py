"""`galfriday run` on the Kraken simulator with a real Postgres store (issue 5, end to end): fills made while the
connection is refused are backfilled after the reconnect and a reconnect reconciliation runs; Postgres then
holds exactly the simulator's fills and order states, one `reconciliation_events` row per run (start-up, then
reconnect) and a `position_adjustments` row for every correction those runs report, and nothing else.

The same scenario on SQLite is tests/integration/kraken/test_run_on_kraken_simulator.py."""

from __future__ import annotations

import asyncio
import base64
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
import psycopg
import pytest

from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.config import Secret
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.testing.kraken_simulator import KrakenSimulator

GALFRIDAY = Path(sys.executable).parent / "galfriday"
KEY = "postgres-e2e-api-key"
SECRET = base64.b64encode(b"postgres-e2e-key" * 4).decode()
SYMBOL = "BTC/USD"
QUANTITY = Decimal("0.0100")
PRICES = [Decimal(29000 + 100 * i) for i in range(6)]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SHUTDOWN_TIMEOUT = 15.0
SERVING = re.compile(r"serving /health and /metrics on (http://\S+)")

pytestmark = pytest.mark.postgres


class Running:
    """A `galfriday run` process: its /health and /metrics, its log, and its exit status."""

    def __init__(
        self, process: asyncio.subprocess.Process, url: str, log: list[str], http: aiohttp.ClientSession
    ):
        self.process = process
        self.url = url
        self.log = log
        self.http = http
        self.status: int | None = None

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
        self, condition: Callable[[], Awaitable[bool]], description: str, within: float = 60
    ) -> None:
        deadline = time.monotonic() + within
        while not await condition():
            assert time.monotonic() < deadline, f"timed out waiting until {description}:\n{''.join(self.log)}"
            await asyncio.sleep(0.1)

    async def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.status = await asyncio.wait_for(self.process.wait(), SHUTDOWN_TIMEOUT + 5)


@asynccontextmanager
async def galfriday_run(sim: KrakenSimulator, dsn: str, tmp_path: Path) -> AsyncIterator[Running]:
    config = tmp_path / "galfriday.toml"
    config.write_text(
        f"""
[store]
adapter = "postgres"
dsn = "{dsn}"
pool_min_size = 1
pool_max_size = 4

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
            running = Running(process, url, log, http)

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
    """Bids placed on the account from elsewhere (another client): galfriday learns them from the stream."""
    client = KrakenRestClient(
        sim.rest_url, Secret(KEY), Secret(SECRET), tier=RateTier("tests", 10_000, 10_000)
    )
    async with client:
        for n, price in enumerate(PRICES):
            order = Order.create(
                client_order_id=f"pg-e2e-{n}",
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


async def assert_store_matches_the_simulator(dsn: str, sim: KrakenSimulator, fills: int) -> None:
    truth = sim.truth()
    store = PostgresStore(
        dsn, pool_min_size=1, pool_max_size=2, venue="kraken"
    )  # the run keeps its fills there
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


async def test_fills_made_while_the_connection_is_down_are_backfilled_and_reconciled_in_postgres(
    migrated_dsn: str, tmp_path: Path
) -> None:
    sim = KrakenSimulator(
        api_key=KEY, api_secret=SECRET, balances={"USD": "100000", "BTC": "2"}, rate_tier=None
    )
    async with sim, galfriday_run(sim, migrated_dsn, tmp_path) as run:
        await place_bids(sim)

        async def bids_known() -> bool:
            processed = await run.metric("galfriday_messages_processed_total", kind="exchange.order")
            return processed >= len(PRICES)

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

        await run.until(recovered, "backfilled, reconciled and healthy after the reconnect")
        assert await run.metric("galfriday_stream_reconnects_total") >= 1
        await run.terminate()
    output = "".join(run.log)
    assert run.status == 0, output
    assert "Traceback" not in output
    await assert_store_matches_the_simulator(migrated_dsn, sim, fills=4)

    with psycopg.connect(migrated_dsn) as connection:
        runs = connection.execute(
            "SELECT id, type, status, discrepancies_found, auto_corrected, manual_review_required, report "
            "FROM reconciliation_events ORDER BY started_at"
        ).fetchall()
        adjustments = connection.execute(
            "SELECT reconciliation_event_id, subject, kind, old_value, new_value, reason FROM position_adjustments"
        ).fetchall()
    kinds = [row[1] for row in runs]
    assert kinds[0] == "startup", runs
    assert "reconnect" in kinds, runs
    assert all(row[2] == "success" for row in runs), runs
    assert all(row[5] == 0 for row in runs), runs  # nothing needed a human
    assert all(isinstance(row[6], dict) for row in runs)  # every run keeps its report
    # the backfill imported every missed fill before reconciling: nothing was left to correct, so nothing was
    # adjusted (a correction would be a position_adjustments row, never a silent overwrite)
    reconnect_runs = [row for row in runs if row[1] == "reconnect"]
    assert all(row[3] == 0 for row in reconnect_runs), reconnect_runs
    assert sum(row[4] for row in runs) == len(adjustments)
    assert adjustments == [], adjustments


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

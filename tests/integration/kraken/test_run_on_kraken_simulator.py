"""`galfriday run` end to end on the Kraken simulator: a real process with the Kraken adapter (REST and the
WebSocket v2 stream) and a SQLite store. Orders on the account fill while it runs; /health and /metrics say
so; SIGTERM stops it with status 0; the store then holds exactly the simulator's fills and order states."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
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


def configuration(path: Path, database: Path) -> None:
    path.write_text(
        f"""
[store]
adapter = "sqlite"
dsn = "{database}"

[exchange]
adapter = "kraken"

[retention]
archive = "memory"

[runtime]
http_port = 0
shutdown_timeout_seconds = {SHUTDOWN_TIMEOUT}
recovery_poll_seconds = 0.5
"""
    )


def environment(sim: KrakenSimulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")}
    env.update(
        GALFRIDAY_KRAKEN_REST_URL=sim.rest_url,
        GALFRIDAY_KRAKEN_WS_URL=sim.ws_url,
        GALFRIDAY_KRAKEN_WS_AUTH_URL=sim.ws_auth_url,
        GALFRIDAY_KRAKEN_API_KEY=KEY,
        GALFRIDAY_KRAKEN_API_SECRET=SECRET,
    )
    return env


async def until(condition_met: object, description: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not await condition_met():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting until {description}"
        await asyncio.sleep(0.1)


async def test_galfriday_run_tracks_kraken_fills_into_sqlite_and_stops_cleanly(tmp_path: Path) -> None:
    database, config = tmp_path / "run.db", tmp_path / "galfriday.toml"
    configuration(config, database)
    async with simulator() as sim:
        process = await asyncio.create_subprocess_exec(
            str(GALFRIDAY),
            "run",
            "--config",
            str(config),
            env=environment(sim),
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        log: list[str] = []
        try:
            url = await _served_url(process.stderr, log)
            drain = asyncio.ensure_future(_collect(process.stderr, log))
            async with aiohttp.ClientSession() as http:

                async def health() -> dict[str, object]:
                    async with http.get(f"{url}/health") as response:
                        return {"status": response.status, **(await response.json())}

                async def healthy() -> bool:
                    report = await health()
                    return report["status"] == 200 and report["last_reconciliation"] is not None

                await until(healthy, "healthy with a start-up reconciliation")

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
                for price in reversed(
                    PRICES[1:]
                ):  # best bid first; the lowest is never reached and stays open
                    assert sim.market.trade(SYMBOL, OrderSide.SELL, price, QUANTITY) == QUANTITY

                async def all_fills_applied() -> bool:
                    async with http.get(f"{url}/metrics") as response:
                        text = await response.text()
                    found = re.search(
                        r'galfriday_messages_processed_total\{kind="exchange.execution"\} (\S+)', text
                    )
                    return found is not None and float(found.group(1)) >= len(PRICES) - 1

                try:
                    await until(all_fills_applied, "every fill applied")
                except AssertionError:
                    async with http.get(f"{url}/metrics") as response:
                        metrics = await response.text()
                    raise AssertionError(
                        "".join(log) + "\n" + "\n".join(m for m in metrics.splitlines() if "processed" in m)
                    ) from None
            process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            status = await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT + 5)
            took = time.monotonic() - signalled
            await asyncio.wait_for(drain, 5)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        truth = sim.truth()

    output = "".join(log)
    assert status == 0, output
    assert took < SHUTDOWN_TIMEOUT
    assert "shutdown complete" in output
    assert "Traceback" not in output
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
    assert len(stored) == len(PRICES) - 1
    for txid, sim_order in truth.orders.items():
        assert orders[txid].filled_quantity == sim_order.vol_exec
        assert orders[txid].status.value == sim_order.ws_status
    assert position is not None
    assert position.quantity == QUANTITY * (len(PRICES) - 1)


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

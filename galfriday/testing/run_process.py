"""`galfriday run` as a real process on the Kraken simulator, for end-to-end tests on any store.

The process is started with a configuration file and the simulator's URLs and the account's credentials in
its environment, reached over its /health and /metrics, and stopped with SIGTERM. Also what such tests do
around it: bids placed on the account from another client, other traders selling into them, and the check
that a store then holds exactly the simulator's fills, order states and position.
"""

from __future__ import annotations

import asyncio
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

from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.config import Secret
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.timestamps import EPOCH
from galfriday.ports.stores import Store
from galfriday.testing.kraken_simulator import KrakenSimulator

GALFRIDAY = Path(sys.executable).parent / "galfriday"
SYMBOL = "BTC/USD"
QUANTITY = Decimal("0.0100")
PRICES = [Decimal(29000 + 100 * i) for i in range(6)]
"""Our bids, one of QUANTITY at each price."""
SHUTDOWN_TIMEOUT = 15.0
SERVING = re.compile(r"serving /health and /metrics on (http://\S+)")
UNTHROTTLED = RateTier("tests", 10_000, 10_000)


class RunningGalfriday:
    """A `galfriday run` process: its /health and /metrics, its log, and its exit status and stop time."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        url: str,
        log: list[str],
        http: aiohttp.ClientSession,
        *,
        within: float,
    ) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.http = http
        self.within = within
        """How long `until` waits unless told otherwise, in seconds."""
        self.status: int | None = None
        self.stop_seconds: float | None = None

    async def health(self) -> tuple[int, dict[str, object]]:
        async with self.http.get(f"{self.url}/health") as response:
            return response.status, await response.json()

    async def metric(self, name: str, **labels: str) -> float:
        """The sample of `name` with exactly `labels`, 0 when the process has not exposed it (yet)."""
        async with self.http.get(f"{self.url}/metrics") as response:
            text = await response.text()
        selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        pattern = "^" + re.escape(name) + (r"\{" + re.escape(selector) + r"\}" if labels else "") + r" (\S+)"
        found = re.search(pattern, text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    async def until(
        self, condition: Callable[[], Awaitable[bool]], description: str, within: float | None = None
    ) -> None:
        """Poll `condition`; fail with `description` and the process's log when it does not hold in time."""
        limit = self.within if within is None else within
        deadline = time.monotonic() + limit
        while not await condition():
            assert time.monotonic() < deadline, f"timed out waiting until {description}:\n{''.join(self.log)}"
            await asyncio.sleep(0.1)

    async def terminate(self) -> None:
        """SIGTERM, then wait for the exit (recording its status and how long stopping took)."""
        self.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        self.status = await asyncio.wait_for(self.process.wait(), SHUTDOWN_TIMEOUT + 5)
        self.stop_seconds = time.monotonic() - signalled


def run_config(store: str) -> str:
    """A configuration file for `galfriday run` on Kraken with `store` as the body of its [store] section:
    metrics on a free port, the shutdown timeout above, account polling every second while the stream is down."""
    return f"""
[store]
{store.strip()}

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


@asynccontextmanager
async def galfriday_run(
    sim: KrakenSimulator, config: Path, *, api_key: str, api_secret: str, within: float = 30.0
) -> AsyncIterator[RunningGalfriday]:
    """`galfriday run --config config` on `sim`'s account, yielded once healthy after its start-up
    reconciliation (its `until` waits `within` seconds by default); terminated at exit if still running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")}
    env.update(
        GALFRIDAY_KRAKEN_REST_URL=sim.rest_url,
        GALFRIDAY_KRAKEN_WS_URL=sim.ws_url,
        GALFRIDAY_KRAKEN_WS_AUTH_URL=sim.ws_auth_url,
        GALFRIDAY_KRAKEN_API_KEY=api_key,
        GALFRIDAY_KRAKEN_API_SECRET=api_secret,
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
            running = RunningGalfriday(process, url, log, http, within=within)

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


async def place_bids(sim: KrakenSimulator, *, api_key: str, api_secret: str, prefix: str) -> None:
    """Our bids (PRICES, QUANTITY each) placed on the account from another client: galfriday learns of them
    from the stream. Client order ids `<prefix>-<n>`."""
    async with KrakenRestClient(
        sim.rest_url, Secret(api_key), Secret(api_secret), tier=UNTHROTTLED
    ) as client:
        for n, price in enumerate(PRICES):
            order = Order.create(
                client_order_id=f"{prefix}-{n}",
                symbol=SYMBOL,
                side=OrderSide.BUY,
                order_type=OrderType.LIMIT,
                quantity=QUANTITY,
                limit_price=price,
                at=datetime.now(UTC),
            )
            await client.add_order(order)


def sell_into(sim: KrakenSimulator, prices: list[Decimal]) -> None:
    """Other traders sell QUANTITY at each of `prices`, filling our bid there."""
    for price in sorted(prices, reverse=True):  # best bid first, so each sale fills the bid at its price
        assert sim.market.trade(SYMBOL, OrderSide.SELL, price, QUANTITY) == QUANTITY


async def assert_store_matches_the_simulator(store: Store, sim: KrakenSimulator, fills: int) -> None:
    """The started `store` holds exactly the simulator's `fills` fills, each order's filled quantity and
    status as the simulator has them, and the position they add up to."""
    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(EPOCH)
        orders = {o.exchange_order_id: o for o in await uow.orders.list_updated_since(EPOCH)}
        position = await uow.positions.get(SYMBOL)
    assert sorted(e.exec_id for e in stored) == sorted(e.exec_id for e in truth.domain_executions())
    assert len(stored) == fills
    for txid, sim_order in truth.orders.items():
        assert orders[txid].filled_quantity == sim_order.vol_exec
        assert orders[txid].status.value == sim_order.ws_status
    assert position is not None
    assert position.quantity == QUANTITY * fills


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

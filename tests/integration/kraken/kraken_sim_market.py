"""The Kraken simulator as the exchange contract's `MarketMaker`, and a `KrakenExchange` pointed at it.

The simulator runs on a `ManualClock`, so `advance` moves Kraken's time exactly (the dead-man's switch and
the `since` filters); the REST client keeps real time for its own waits, with a call counter large enough
that tests never wait for it.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from galfriday.adapters.kraken.exchange import KrakenExchange, ManagedStream
from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient, OrderLookupPolicy
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.adapters.memory.clock import ManualClock
from galfriday.config import Secret
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator import KrakenSimulator

KEY = "contract-api-key"
SECRET = base64.b64encode(b"contract-secret!" * 4).decode()
BALANCES = {"USD": "100000", "BTC": "2"}
START = datetime(2024, 6, 3, 12, tzinfo=UTC)
T = TypeVar("T")
UNTHROTTLED = RateTier("tests", 10_000, 10_000)
"""A call counter no test fills: the simulator under test runs without a rate limit."""


class SimMarket:
    """Other traders and Kraken's clock, for the exchange contract."""

    symbol = "BTC/USD"
    price = Decimal("30000.0")
    quantity = Decimal("0.01")

    def __init__(self, simulator: KrakenSimulator, clock: ManualClock) -> None:
        self._simulator = simulator
        self._clock = clock

    def now(self) -> datetime:
        return self._clock.now()

    async def add_liquidity(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        self._simulator.market.add_liquidity(symbol, side, price, quantity)

    async def trade(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> None:
        self._simulator.market.trade(symbol, side, price, quantity)

    async def advance(self, seconds: int) -> None:
        self._clock.advance(seconds)
        self._simulator.state.tick()


def simulator(clock: ManualClock | None = None, **options: object) -> KrakenSimulator:
    """A simulator with the test account, no REST rate limit, on `clock` (real time if None)."""
    return KrakenSimulator(
        api_key=KEY,
        api_secret=SECRET,
        balances=BALANCES,
        clock=clock,
        rate_tier=None,
        **options,  # type: ignore[arg-type]
    )


def rest_client(sim: KrakenSimulator) -> KrakenRestClient:
    """Our REST client for the simulator's test account (quick lookups after an unanswered placement)."""
    return KrakenRestClient(
        sim.rest_url,
        Secret(KEY),
        Secret(SECRET),
        tier=UNTHROTTLED,
        lookup=OrderLookupPolicy(delays=(0.05, 0.1, 0.2)),
    )


def exchange(sim: KrakenSimulator, stream: ManagedStream | None = None) -> KrakenExchange:
    """A REST-only facade (no stream) unless `stream` is given."""
    return KrakenExchange(rest_client(sim), stream)


def streaming_exchange(sim: KrakenSimulator, settings: StreamSettings | None = None) -> KrakenExchange:
    """The facade with its WebSocket v2 stream (private executions and balances, market data on demand)."""
    client = rest_client(sim)
    stream = KrakenStream(sim.ws_url, sim.ws_auth_url, tokens=client, pair_source=client, settings=settings)
    return KrakenExchange(client, stream)


class SimulatorThread:
    """A simulator serving from its own event loop in a background thread, for synchronous callers such as
    click's CliRunner (whose commands run `asyncio.run` themselves)."""

    def __init__(self, sim: KrakenSimulator) -> None:
        self.sim = sim
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kraken-simulator", daemon=True)

    def __enter__(self) -> SimulatorThread:
        self._thread.start()
        self.run(self.sim.start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.run(self.sim.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the simulator's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def environment(self) -> dict[str, str | None]:
        """The environment variables that point galfriday's configuration at this simulator (and no file)."""
        return {
            "GALFRIDAY_KRAKEN_REST_URL": self.sim.rest_url,
            "GALFRIDAY_KRAKEN_WS_URL": self.sim.ws_url,
            "GALFRIDAY_KRAKEN_WS_AUTH_URL": self.sim.ws_auth_url,
            "GALFRIDAY_KRAKEN_API_KEY": KEY,
            "GALFRIDAY_KRAKEN_API_SECRET": SECRET,
            "GALFRIDAY_CONFIG": None,
        }

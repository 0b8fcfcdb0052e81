"""The Kraken simulator as the exchange contract's `MarketMaker`, and a `KrakenExchange` pointed at it.

The simulator runs on a `ManualClock`, so `advance` moves Kraken's time exactly (the dead-man's switch and
the `since` filters); the REST client keeps real time for its own waits, with a call counter large enough
that tests never wait for it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

from galfriday.adapters.kraken.exchange import KrakenExchange, ManagedStream
from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient, OrderLookupPolicy
from galfriday.adapters.memory.clock import ManualClock
from galfriday.config import Secret
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator import KrakenSimulator

KEY = "contract-api-key"
SECRET = base64.b64encode(b"contract-secret!" * 4).decode()
BALANCES = {"USD": "100000", "BTC": "2"}
START = datetime(2024, 6, 3, 12, tzinfo=UTC)
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
    return KrakenExchange(rest_client(sim), stream)

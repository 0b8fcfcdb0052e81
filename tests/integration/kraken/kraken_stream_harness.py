"""A simulator, a REST client and `KrakenStream`s pointed at it, and a collector of what a stream emits."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from kraken_sim_market import rest_client, simulator

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.adapters.kraken.ws_backoff import BackoffPolicy
from galfriday.domain.events import ExchangeEvent, ExecutionReported
from galfriday.testing.kraken_simulator import KrakenSimulator

FAST = StreamSettings(
    silence_timeout=1.0,
    ping_interval=0.5,
    request_timeout=3.0,
    backoff=BackoffPolicy(initial=0.05, maximum=0.2),
)
"""Short deadlines so that dead connections are found in a second (the simulator beats 5 times a second)."""
E = TypeVar("E")


class Collected:
    """Everything a stream emits, gathered by a background task; tests wait for what they expect."""

    def __init__(self, stream: KrakenStream) -> None:
        self.events: list[ExchangeEvent] = []
        self.ended = asyncio.Event()
        self._changed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._collect(stream))

    async def _collect(self, stream: KrakenStream) -> None:
        async for event in stream.events():
            self.events.append(event)
            self._changed.set()
        self.ended.set()
        self._changed.set()

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]

    def fill_counts(self) -> Counter[str]:
        """How many times each fill (exec id) was reported: a fill counted twice shows as 2."""
        return Counter(event.execution.exec_id for event in self.of(ExecutionReported))

    async def until(self, predicate: Callable[[list[ExchangeEvent]], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()

    async def first(
        self, kind: type[E], match: Callable[[E], bool] = lambda _: True, within: float = 5.0
    ) -> E:
        await self.until(lambda events: any(isinstance(e, kind) and match(e) for e in events), within)
        return next(e for e in self.events if isinstance(e, kind) and match(e))

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest.fixture
async def sim() -> AsyncIterator[KrakenSimulator]:
    """The test account's simulator (kraken_sim_market's), beating 5 times a second, with a seeded book."""
    async with simulator(heartbeat_interval=0.2) as started:
        started.market.seed_book("BTC/USD", levels=15)
        yield started


@pytest.fixture
async def rest(sim: KrakenSimulator) -> AsyncIterator[KrakenRestClient]:
    async with rest_client(sim) as client:
        yield client


class CountingTokens:
    """The REST client as the token source, counting the tokens it handed out."""

    def __init__(self, rest: KrakenRestClient) -> None:
        self.rest = rest
        self.issued: list[str] = []

    async def get_websockets_token(self) -> Any:
        token = await self.rest.get_websockets_token()
        self.issued.append(token.token.reveal())
        return token


def private_stream(sim: KrakenSimulator, tokens: Any, **options: Any) -> KrakenStream:
    options.setdefault("settings", FAST)
    return KrakenStream(sim.ws_url, sim.ws_auth_url, tokens=tokens, **options)


async def fill_market_buy(sim: KrakenSimulator, rest: KrakenRestClient, qty: str = "0.001") -> None:
    """Another trader's ask and our market buy against it (pending_new, new, trade, filled)."""
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("29000.0"), Decimal("1"))
    await rest.transport.private(
        "AddOrder",
        [("pair", "XBTUSD"), ("type", "buy"), ("ordertype", "market"), ("volume", qty)],
        retry=False,
    )

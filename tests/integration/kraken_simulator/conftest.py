"""A running simulator per test (no REST rate limit unless a test asks for one) and connected clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from kraken_sim_clients import BALANCES, KEY, SECRET, Rest, Ws, open_ws

from galfriday.testing.kraken_simulator import KrakenSimulator


@pytest.fixture
async def sim() -> AsyncIterator[KrakenSimulator]:
    simulator = KrakenSimulator(api_key=KEY, api_secret=SECRET, balances=BALANCES, rate_tier=None)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.close()


@pytest.fixture
async def rest(sim: KrakenSimulator) -> AsyncIterator[Rest]:
    async with aiohttp.ClientSession() as session:
        yield Rest(session, sim.rest_url)


@pytest.fixture
async def public_ws(sim: KrakenSimulator) -> AsyncIterator[Ws]:
    ws = await open_ws(sim.ws_url)
    yield ws
    await ws.connection.close()


@pytest.fixture
async def private_ws(sim: KrakenSimulator) -> AsyncIterator[Ws]:
    ws = await open_ws(sim.ws_auth_url)
    yield ws
    await ws.connection.close()

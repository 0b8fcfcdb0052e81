"""The Kraken simulator every test here starts from unless it asks for another: the test account (see
kraken_sim_market), real time, no REST rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kraken_sim_market import simulator

from galfriday.testing.kraken_simulator import KrakenSimulator


@pytest.fixture
async def sim() -> AsyncIterator[KrakenSimulator]:
    async with simulator() as started:
        yield started

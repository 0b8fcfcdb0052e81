"""The dead-man's switch service on Kraken (the simulator, on a manual clock): armed through
CancelAllOrdersAfter while our orders live, it cancels them if we stop re-arming, and re-arming keeps them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from kraken_sim_market import START, exchange, simulator

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.services.deadman import DeadMansSwitch
from galfriday.services.order_tracking import OrderTracker
from galfriday.testing.kraken_simulator import KrakenSimulator


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def sim(clock: ManualClock) -> AsyncIterator[KrakenSimulator]:
    async with simulator(clock) as sim:
        yield sim


@pytest.fixture
async def kraken(sim: KrakenSimulator) -> AsyncIterator[KrakenExchange]:
    async with exchange(sim) as started:
        yield started


@pytest.fixture
async def store() -> MemoryStore:
    store = MemoryStore()
    await store.start()
    return store


async def rest_a_buy(kraken: KrakenExchange, store: MemoryStore, clock: ManualClock) -> str:
    order = Order.create(
        client_order_id="deadman-1",
        symbol="BTC/USD",
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.01"),
        limit_price=Decimal("20000.0"),
        at=clock.now(),
    )
    await OrderTracker(store, MemoryEventBus(maxsize=100)).record_placed(order)
    placed = await kraken.place_order(order)
    assert placed.exchange_order_id is not None
    return placed.exchange_order_id


def open_on_kraken(sim: KrakenSimulator) -> list[str]:
    return [order.txid for order in sim.truth().open_orders]


async def pass_time(sim: KrakenSimulator, clock: ManualClock, seconds: int) -> None:
    clock.advance(seconds)
    sim.state.tick()


async def test_it_arms_kraken_for_the_timeout_while_an_order_rests(
    sim: KrakenSimulator, kraken: KrakenExchange, store: MemoryStore, clock: ManualClock
) -> None:
    await rest_a_buy(kraken, store, clock)

    fires_at = await DeadMansSwitch(kraken, store, clock, timeout=60).step()

    assert fires_at is not None
    assert abs(fires_at - (clock.now() + timedelta(seconds=60))) <= timedelta(seconds=1)


async def test_once_it_stops_rearming_kraken_cancels_the_orders(
    sim: KrakenSimulator, kraken: KrakenExchange, store: MemoryStore, clock: ManualClock
) -> None:
    txid = await rest_a_buy(kraken, store, clock)
    await DeadMansSwitch(kraken, store, clock, timeout=60).step()

    await pass_time(sim, clock, 61)

    assert txid not in open_on_kraken(sim)
    assert sim.truth().orders[txid].reason == "Cancel all orders after timeout"


async def test_rearming_keeps_the_orders_on_kraken_past_many_timeouts(
    sim: KrakenSimulator, kraken: KrakenExchange, store: MemoryStore, clock: ManualClock
) -> None:
    txid = await rest_a_buy(kraken, store, clock)
    switch = DeadMansSwitch(kraken, store, clock, timeout=60)

    for _ in range(12):
        await switch.step()
        await pass_time(sim, clock, int(switch.interval))

    assert open_on_kraken(sim) == [txid]

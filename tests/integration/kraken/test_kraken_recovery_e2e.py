"""End to end: the Kraken simulator, KrakenExchange, OrderTracker, StreamRecovery and the SQLite store.

Our orders fill while the stream cannot tell us (REST only, the account polled with REST calls failing now
and then; or over the WebSocket stream through chaos: duplicates, reordering, an outage, lost frames), and
local state must end identical to the simulator's truth: every execution stored once, none missing, every
order's fills adding up to what Kraken says it filled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from kraken_sim_market import exchange, streaming_exchange
from kraken_sim_truth import SYMBOL, converge, fill_key, place_limit

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.stream_recovery import StreamRecovery
from galfriday.testing.eventually import eventually
from galfriday.testing.kraken_simulator import KrakenSimulator

QUANTITY = Decimal("0.0100")
BUY_PRICES = [Decimal(29000 + 100 * i) for i in range(10)]
START_OF_TIME = datetime(2000, 1, 1, tzinfo=UTC)
SELL_PRICES = [Decimal(30100 + 100 * i) for i in range(10)]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "e2e.db")
    await store.start()
    yield store
    await store.close()


@pytest.fixture
async def kraken(sim: KrakenSimulator) -> AsyncIterator[KrakenExchange]:
    async with exchange(sim) as started:
        yield started


async def place(
    kraken: KrakenExchange,
    tracker: OrderTracker,
    side: OrderSide,
    price: Decimal,
    n: int,
    quantity: Decimal = QUANTITY,
) -> Order:
    return await place_limit(
        kraken, tracker, client_order_id=f"e2e-{side.value}-{n}", side=side, price=price, quantity=quantity
    )


async def test_fills_while_only_rest_can_see_them_end_identical_to_the_truth(
    sim: KrakenSimulator, kraken: KrakenExchange, store: SqliteStore
) -> None:
    tracker = OrderTracker(store, MemoryEventBus(maxsize=100_000))
    recovery = StreamRecovery(
        kraken, kraken, tracker, store, SystemClock(), poll_interval=0.05, retry_delay=0.05
    )
    await recovery.start()
    try:
        assert recovery.polling  # REST only: the stream is never healthy, so the account is polled
        buys = [await place(kraken, tracker, OrderSide.BUY, p, i) for i, p in enumerate(BUY_PRICES)]
        sells = [await place(kraken, tracker, OrderSide.SELL, p, i) for i, p in enumerate(SELL_PRICES)]
        sim.chaos.fail_rest("EService:Unavailable", count=3, method="TradesHistory")
        for round_ in range(4):
            for order in buys[round_::2]:
                assert order.limit_price is not None
                sim.market.trade(SYMBOL, OrderSide.SELL, order.limit_price, QUANTITY / 4)
            for order in sells[round_::3]:
                assert order.limit_price is not None
                sim.market.trade(SYMBOL, OrderSide.BUY, order.limit_price, QUANTITY / 2)
            await asyncio.sleep(0.1)
        await kraken.cancel_order(buys[0].exchange_order_id or "")  # the lowest bid: never reached

        await converge(sim, store, within=15, balances=False)
    finally:
        await recovery.close()

    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(START_OF_TIME)
        position = await uow.positions.get(SYMBOL)
    assert len(stored) == len(truth.executions) > 20
    assert {o.ws_status for o in truth.orders.values()} >= {"filled", "partially_filled", "canceled", "new"}
    assert len({e.exec_id for e in stored}) == len(stored)
    net = sum((e.quantity * e.side.sign for e in truth.domain_executions()), Decimal(0))
    assert position is not None
    assert position.quantity == net


async def test_fills_missed_by_the_stream_are_recovered_after_reconnect_and_gaps(
    sim: KrakenSimulator, store: SqliteStore
) -> None:
    """Over the WebSocket stream: duplicated and reordered frames, 55 fills during an outage (more than the
    50 trades a reconnect's snapshot repeats), then lost frames; local state ends equal to the truth."""
    quantity = Decimal("0.0400")
    async with streaming_exchange(sim) as kraken:
        tracker = OrderTracker(store, MemoryEventBus(maxsize=100_000))
        recovery = StreamRecovery(
            kraken, kraken, tracker, store, SystemClock(), poll_interval=60.0, retry_delay=0.05
        )
        await recovery.start()
        try:
            await eventually(lambda: recovery.gate.is_open, "the gate opening once the stream is healthy", 15)
            for i in range(20):
                await place(kraken, tracker, OrderSide.BUY, Decimal(29000 + 50 * i), i, quantity)

            sim.chaos.duplicate_next(3)
            sim.chaos.reorder_next(3)
            await other_traders_sell(sim, 6)
            await converge(
                sim, store, within=15, what="the stream applying duplicated, reordered fills", balances=False
            )

            sim.chaos.refuse_connections(1.5)
            sim.chaos.drop_connections("private")
            await eventually(lambda: not kraken.health().healthy, "the stream noticing the drop", 15)
            await other_traders_sell(sim, 55)
            await converge(sim, store, within=30, what="recovery after the reconnect", balances=False)
            recovered = sum(r.executions_new for r in recovery.reports if r.reason == "reconnect")
            assert recovered > 0, "the reconnect's snapshot cannot hold 55 fills: some must come from REST"

            sim.chaos.drop_next(2)
            await other_traders_sell(sim, 5)
            await converge(sim, store, within=30, what="recovery after the gap", balances=False)
            assert sum(r.executions_new for r in recovery.reports if r.reason == "gap") > 0
        finally:
            await recovery.close()

    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(START_OF_TIME)
        position = await uow.positions.get(SYMBOL)
    assert len(truth.executions) == 66
    assert sorted(map(fill_key, stored)) == sorted(map(fill_key, truth.domain_executions()))
    assert position is not None
    assert position.quantity == sum((e.quantity for e in truth.domain_executions()), Decimal(0))


async def test_a_fill_whose_frame_was_garbled_is_stored_exactly_once(
    sim: KrakenSimulator, store: SqliteStore
) -> None:
    """Executions frames that arrive with their sequence number but an unreadable report: the fills they
    carried come back through REST (a `rejected` recovery), each stored once."""
    async with streaming_exchange(sim) as kraken:
        tracker = OrderTracker(store, MemoryEventBus(maxsize=100_000))
        recovery = StreamRecovery(
            kraken, kraken, tracker, store, SystemClock(), poll_interval=60.0, retry_delay=0.05
        )
        await recovery.start()
        try:
            await eventually(lambda: recovery.gate.is_open, "the gate opening once the stream is healthy", 15)
            for i in range(3):
                await place(kraken, tracker, OrderSide.BUY, Decimal(29000 + 50 * i), i)
            await other_traders_sell(sim, 1)
            await converge(sim, store, within=15, what="the first fill over the stream", balances=False)

            sim.chaos.garble_next(4)  # every executions frame of the next fills: trades and order updates
            await other_traders_sell(sim, 2)
            await converge(sim, store, within=30, what="recovery of the garbled fills", balances=False)
            assert sum(r.executions_new for r in recovery.reports if r.reason == "rejected") > 0
        finally:
            await recovery.close()

    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(START_OF_TIME)
    assert len(truth.executions) == 3
    assert sorted(map(fill_key, stored)) == sorted(map(fill_key, truth.domain_executions()))


async def other_traders_sell(sim: KrakenSimulator, fills: int) -> None:
    """`fills` sells of 0.01 that each take from our best bid."""
    for _ in range(fills):
        sim.market.trade(SYMBOL, OrderSide.SELL, Decimal("29000.0"), QUANTITY)
        await asyncio.sleep(0.005)


async def test_a_restart_recovers_the_fills_made_while_the_process_was_down(
    sim: KrakenSimulator, tmp_path: Path
) -> None:
    """Warm restart: the process stops with orders resting, they fill while it is down, and a new process on
    the same SQLite file catches up at start: every fill once, nothing invented, nothing lost."""
    path = tmp_path / "restart.db"
    first = SqliteStore(path)
    await first.start()
    async with streaming_exchange(sim) as kraken:
        tracker = OrderTracker(first, MemoryEventBus(maxsize=100_000))
        recovery = StreamRecovery(kraken, kraken, tracker, first, SystemClock(), poll_interval=60.0)
        await recovery.start()
        for i, price in enumerate(BUY_PRICES):
            await place(kraken, tracker, OrderSide.BUY, price, i)
        await other_traders_sell(sim, 3)
        await converge(
            sim, first, within=15, what="the first process applying the first fills", balances=False
        )
        await recovery.close()
    await first.close()

    await other_traders_sell(sim, 5)  # nobody is running
    sim.market.trade(SYMBOL, OrderSide.SELL, Decimal("29000.0"), QUANTITY / 2)

    second = SqliteStore(path)
    await second.start()
    try:
        async with streaming_exchange(sim) as kraken:
            tracker = OrderTracker(second, MemoryEventBus(maxsize=100_000))
            recovery = StreamRecovery(kraken, kraken, tracker, second, SystemClock(), poll_interval=60.0)
            await recovery.start()
            try:
                await converge(
                    sim, second, within=15, what="the restarted process catching up", balances=False
                )
                assert recovery.reports[0].reason == "start"
            finally:
                await recovery.close()
        async with second.unit_of_work() as uow:
            stored = await uow.executions.since(START_OF_TIME)
        assert len(stored) == len(sim.truth().executions) == 9
    finally:
        await second.close()

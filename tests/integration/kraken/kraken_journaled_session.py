"""A live session as `galfriday run` composes it, on the Kraken simulator and an SQLite store: `KrakenStream`
journaling every inbound frame through a `JournalWriter`, `StreamRecovery` feeding the stream and its REST
backfills into `OrderTracker`. Also: our resting limit orders, and the check that the store matches the
simulator's truth (every fill once, each order's filled quantity and status)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

from attrs import frozen
from kraken_sim_market import rest_client

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.timestamps import EPOCH
from galfriday.ports.stores import Store
from galfriday.services.journal_writer import JournalWriter
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.stream_recovery import StreamRecovery
from galfriday.testing.kraken_simulator import KrakenSimulator

SYMBOL = "BTC/USD"


@frozen
class Session:
    exchange: KrakenExchange
    stream: KrakenStream
    tracker: OrderTracker
    recovery: StreamRecovery
    journal: JournalWriter


@asynccontextmanager
async def journaled_session(
    sim: KrakenSimulator, store: Store, settings: StreamSettings, *, poll_interval: float = 0.5
) -> AsyncIterator[Session]:
    """The session, started (stream healthy, first backfill done); at exit the journal is written out."""
    journal = JournalWriter(store, batch_size=500, flush_interval=0.05)
    await journal.start()
    client = rest_client(sim)
    stream = KrakenStream(
        sim.ws_url, sim.ws_auth_url, tokens=client, pair_source=client, settings=settings, journal=journal
    )
    exchange = KrakenExchange(client, stream)
    tracker = OrderTracker(store, MemoryEventBus(maxsize=1_000_000))
    try:
        async with exchange:
            recovery = StreamRecovery(
                exchange,
                exchange,
                tracker,
                store,
                SystemClock(),
                poll_interval=poll_interval,
                retry_delay=0.1,
            )
            await recovery.start()
            try:
                yield Session(exchange, stream, tracker, recovery, journal)
            finally:
                await recovery.close()
    finally:
        await journal.close()


async def place_ladder(session: Session, count: int, quantity: Decimal, *, prefix: str) -> list[Order]:
    """`count` resting buys below 30000 and `count` resting sells above it, each of `quantity`."""
    placed: list[Order] = []
    for i in range(count):
        for side, price in (
            (OrderSide.BUY, Decimal(29900 - 5 * i)),
            (OrderSide.SELL, Decimal(30100 + 5 * i)),
        ):
            order = Order.create(
                client_order_id=f"{prefix}-{side.value}-{i}",
                symbol=SYMBOL,
                side=side,
                order_type=OrderType.LIMIT,
                quantity=quantity,
                limit_price=price,
                at=SystemClock().now(),
            )
            await session.tracker.record_placed(order)
            placed.append(await session.exchange.place_order(order))
    return placed


def fill_key(execution: Execution) -> tuple[str, str, Decimal, Decimal, Decimal]:
    return (execution.exec_id, execution.order_id, execution.quantity, execution.price, execution.fee)


async def mismatch(sim: KrakenSimulator, store: Store) -> str | None:
    """Why the store does not match the simulator's truth yet, or None when it does: every fill, each
    order's filled quantity and status, each balance's total."""
    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(EPOCH)
        orders = {o.exchange_order_id: o for o in await uow.orders.list_updated_since(EPOCH)}
        balances = {b.asset: b.total for b in await uow.balances.all()}
    if len(stored) != len(truth.executions):
        return f"{len(stored)} fills stored, {len(truth.executions)} on the simulator"
    if sorted(map(fill_key, stored)) != sorted(map(fill_key, truth.domain_executions())):
        return "the stored fills differ from the simulator's"
    for txid, sim_order in truth.orders.items():
        ours = orders.get(txid)
        if ours is None:
            return f"order {txid} not stored"
        if ours.filled_quantity != sim_order.vol_exec or ours.status.value != sim_order.ws_status:
            return (
                f"order {txid}: {ours.status.value} {ours.filled_quantity} stored, "
                f"{sim_order.ws_status} {sim_order.vol_exec} on the simulator"
            )
    for asset, total in truth.balances.items():
        if balances.get(asset) != total:
            return f"{asset}: {balances.get(asset)} stored, {total} on the simulator"
    return None


async def wait_for(check: Callable[[], object], what: str, within: float) -> None:
    """Poll `check` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, f"{what} did not happen within {within}s"
        await asyncio.sleep(0.2)


async def converge(sim: KrakenSimulator, store: Store, within: float) -> None:
    """Wait until the store matches the simulator's truth; fail saying what still differs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (why := await mismatch(sim, store)) is not None:
        assert loop.time() < deadline, f"no match with the simulator within {within}s: {why}"
        await asyncio.sleep(0.25)

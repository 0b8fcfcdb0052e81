"""A live session as `galfriday run` composes it, on the Kraken simulator and an SQLite store: `KrakenStream`
journaling every inbound frame through a `JournalWriter`, `StreamRecovery` feeding the stream and its REST
backfills into `OrderTracker`. Also: a ladder of our resting limit orders. The check that the store matches
the simulator's truth (`converge`, `mismatch`) is kraken_sim_truth's, re-exported for the tests using it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from attrs import frozen
from kraken_sim_market import rest_client
from kraken_sim_truth import SYMBOL, converge, mismatch, place_limit

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order
from galfriday.ports.stores import Store
from galfriday.services.journal_writer import JournalWriter
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.stream_recovery import StreamRecovery
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["SYMBOL", "Session", "converge", "journaled_session", "mismatch", "place_ladder"]


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
            placed.append(
                await place_limit(
                    session.exchange,
                    session.tracker,
                    client_order_id=f"{prefix}-{side.value}-{i}",
                    side=side,
                    price=price,
                    quantity=quantity,
                )
            )
    return placed

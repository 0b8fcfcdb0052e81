"""Order intake of `galfriday run`: stream events applied through `OrderIntake` (reader task, bounded queue,
worker, per-topic counters) against the same events applied by `OrderTracker.handle` in a plain loop.

The events are a recorded FakeExchange session (orders placed and filled at once: order reports, executions,
balance reports), built once before timing. Both ways start each repeat from an empty store of the same kind
and apply every event; the ratio is the runtime's own cost on top of the tracker's:

- `intake_memory` vs `tracker_loop_memory`: on the memory store, where the tracker is cheapest and the intake's
  overhead shows most;
- `intake_sqlite` vs `tracker_loop_sqlite`: on the embedded SQLite store (WAL, synchronous=FULL), what
  `galfriday run` uses by default.

    python benchmarks/bench_runtime_intake.py [--quick] [--orders N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import harness

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.plugin import DEFAULT_PAIRS
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.executions import OrderSide
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.orders import Order, OrderType
from galfriday.ports.exchange import StreamHealth
from galfriday.ports.stores import Store
from galfriday.runtime.intake import OrderIntake
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.services.order_tracking import OrderTracker

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def recorded_session(orders: int) -> list[ExchangeEvent]:
    """What a FakeExchange stream reports while `orders` buy orders are placed and filled at once."""
    clock = ManualClock(START)
    exchange = FakeExchange(clock=clock, pairs=DEFAULT_PAIRS, balances={"USD": Decimal("1e9"), "BTC": 0})
    await exchange.start()
    events = aiter(exchange.events())
    price, quantity = Decimal("50000"), Decimal("0.001")
    for n in range(orders):
        clock.advance(1)
        await exchange.add_liquidity("BTC/USD", OrderSide.SELL, price, quantity)
        order = Order.create(
            client_order_id=f"bench-{n}",
            symbol="BTC/USD",
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=quantity,
            limit_price=price,
            at=clock.now(),
        )
        await exchange.place_order(order)
    await exchange.close()
    return [event async for event in events]


class Replay:
    """An `ExchangeStream` that yields a recorded list of events, then waits (a live stream does not end)."""

    def __init__(self, events: Sequence[ExchangeEvent]) -> None:
        self._events = events

    async def events(self) -> AsyncIterator[ExchangeEvent]:
        for event in self._events:
            yield event
        await asyncio.Event().wait()

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        return None

    def health(self) -> StreamHealth:
        return StreamHealth(True, "replay", None)


async def through_intake(store: Store, events: Sequence[ExchangeEvent]) -> None:
    tracker = OrderTracker(store, MemoryEventBus(maxsize=len(events) + 1))
    intake = OrderIntake(Replay(events), tracker.handle, metrics=RuntimeMetrics(), queue_size=1_000)
    done = asyncio.Event()

    async def count(event: ExchangeEvent) -> None:  # an observer, as the runtime has one (stream recovery)
        if intake.applied == len(events):
            done.set()

    intake.observe(count)
    running = asyncio.ensure_future(intake.run())
    await done.wait()
    await intake.stop()
    await running


async def through_loop(store: Store, events: Sequence[ExchangeEvent]) -> None:
    tracker = OrderTracker(store, MemoryEventBus(maxsize=len(events) + 1))
    for event in events:
        await tracker.handle(event)


async def measure(orders: int, repeats: int, workdir: Path) -> harness.Report:
    report = harness.Report("order intake (galfriday run) against OrderTracker.handle in a loop")
    harness.progress(f"recording a FakeExchange session of {orders:,} orders")
    events = await recorded_session(orders)
    report.note(f"{len(events):,} events per repeat ({orders:,} orders placed and filled)")
    counter = 0

    async def fresh(kind: str) -> Store:
        nonlocal counter
        counter += 1
        if kind == "memory":
            return MemoryStore()
        store = SqliteStore(workdir / f"bench-{counter}.db", slow_query_ms=harness.QUIET_MS)
        await store.start()
        return store

    ways: dict[str, Callable[[Store, Sequence[ExchangeEvent]], Awaitable[None]]] = {
        "intake": through_intake,
        "tracker_loop": through_loop,
    }
    for kind, share in (("memory", 1), ("sqlite", 4)):
        sample = events[: len(events) // share]
        harness.progress(f"{kind}: {len(sample):,} events, {repeats} repeats per way")
        seconds: dict[str, list[float]] = {way: [] for way in ways}
        for repeat in range(repeats + 1):  # the first round is the warm-up
            names = list(ways)[repeat % 2 :] + list(ways)[: repeat % 2]
            for way in names:
                store = await fresh(kind)
                try:
                    elapsed = await harness.timed(
                        lambda s=store, w=way, e=sample: ways[w](s, e)  # type: ignore[misc]
                    )
                finally:
                    await store.close()
                if repeat:
                    seconds[way].append(elapsed)
        ours = harness.Summary.of(harness.rates(len(sample), seconds["intake"]))
        baseline = harness.Summary.of(harness.rates(len(sample), seconds["tracker_loop"]))
        report.add(
            harness.figure(
                f"intake_{kind}",
                ours.median,
                "events/s",
                f"tracker_loop_{kind}",
                baseline.median,
                harness.Target.ratio_at_least(0.8),
                harness.rate_detail(ours, baseline),
            )
        )
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0], seeded=False)
    parser.add_argument(
        "--orders", type=int, help="orders in the recorded session (default 4,000; quick 500)"
    )
    parser.add_argument("--repeats", type=int, help="timed repeats per way (default 7; quick 3)")
    args = parser.parse_args(argv)
    orders = args.orders or (500 if args.quick else 4_000)
    repeats = args.repeats or (3 if args.quick else 7)
    with tempfile.TemporaryDirectory(prefix="galfriday-bench-intake-") as workdir:
        report = asyncio.run(measure(orders, repeats, Path(workdir)))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

"""Kraken recovery: how long from Kraken being reachable again to our store fully caught up, after fills that
happened while we were cut off.

Against the Kraken simulator on loopback: a `KrakenExchange` (REST + WebSocket v2 stream), `StreamRecovery`
feeding `OrderTracker` and a SQLite store. Each repeat drops every connection, refuses handshakes for
`--outage` s, and meanwhile other traders make `--fills` fills against our resting orders (more than the 50
trades a reconnect's executions snapshot repeats, so REST must backfill). Timed from the moment the server
accepts again to:

- `kraken_recovery_caught_up`: the order gate open again with every fill stored (the stream resynced, the
  reconnect backfill through REST applied, the stream's own snapshot deduplicated against it);
- baseline `stream_healthy`, in the same repeat: the stream alone healthy again (connected, subscribed,
  snapshots received), which the catch-up cannot beat. The ratio is what the REST backfill adds.

Target: caught up in < 1 s (the median). Every repeat checks the store against the simulator's truth (same
exec ids, none twice) and stops if they differ.

The catch-up time is dominated by the reconnect (backoff with jitter, handshakes, snapshots) and varies a lot on
a shared machine, so the REST backfill is also timed on its own (`kraken_recovery_backfill`: its
`RecoveryReport`'s start to finish) against the same scenario run again with `OrderTracker.handle_many`
applying each event in its own unit of work (baseline `per_event_units_of_work`, the tracker before batching).

    python benchmarks/bench_kraken_recovery.py [--quick] [--repeats N] [--fills N] [--outage S]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import harness

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.config import Secret
from galfriday.domain.events import DomainEvent, ExchangeEvent
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.stream_recovery import StreamRecovery
from galfriday.testing.kraken_simulator import KrakenSimulator

KEY = "bench-api-key"
SECRET = base64.b64encode(b"bench-secret!!!!" * 4).decode()
SYMBOL = "BTC/USD"
UNTHROTTLED = RateTier("bench", 10_000, 10_000)
FILL = Decimal("0.0001")
PRICE = Decimal("25000.0")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class PerEventTracker(OrderTracker):
    """The baseline: a batch applied one event at a time, one unit of work each (as before `handle_many`)."""

    async def handle_many(self, events: Sequence[ExchangeEvent]) -> list[DomainEvent]:
        return [produced for event in events for produced in await self.handle(event)]


async def stored_exec_ids(store: SqliteStore) -> list[str]:
    async with store.unit_of_work() as uow:
        return [e.exec_id for e in await uow.executions.since(EPOCH)]


async def one_recovery(
    sim: KrakenSimulator,
    kraken: KrakenExchange,
    recovery: StreamRecovery,
    store: SqliteStore,
    fills: int,
    outage: float,
) -> tuple[float, float]:
    """Seconds from the server accepting again to the stream healthy, and to the store caught up."""
    while not (recovery.gate.is_open and kraken.health().healthy):  # noqa: ASYNC110 - states, not events
        await asyncio.sleep(0.005)
    sim.chaos.refuse_connections(outage)
    sim.chaos.drop_connections()
    back = harness.clock() + outage
    while kraken.health().healthy:  # noqa: ASYNC110 - the drop is seen on the stream's next read
        await asyncio.sleep(0.0005)
    for _ in range(fills):
        sim.market.trade(SYMBOL, OrderSide.SELL, PRICE, FILL)
    if harness.clock() >= back:
        raise RuntimeError(f"{fills} fills took longer than the {outage:g} s outage; raise --outage")
    expected = len(sim.truth().executions)
    healthy = caught_up = None
    while caught_up is None:
        now = harness.clock()
        if healthy is None and kraken.health().healthy:
            healthy = now - back
        if recovery.gate.is_open and healthy is not None and len(await stored_exec_ids(store)) == expected:
            caught_up = now - back
        await asyncio.sleep(0.001)
    stored = await stored_exec_ids(store)
    truth = sorted(trade.exec_id for trade in sim.truth().executions)
    if sorted(stored) != truth:
        raise RuntimeError(f"store and simulator differ: {len(stored)} stored, {len(truth)} true fills")
    assert healthy is not None
    return healthy, caught_up


async def measure(
    repeats: int, fills: int, outage: float, *, per_event: bool = False
) -> dict[str, list[float]]:
    logging.getLogger("galfriday").setLevel(logging.ERROR)
    sim = KrakenSimulator(
        api_key=KEY, api_secret=SECRET, balances={"USD": "1000000", "BTC": "2"}, rate_tier=None
    )
    await sim.start()
    results: dict[str, list[float]] = {"healthy": [], "caught_up": [], "backfill": []}
    with tempfile.TemporaryDirectory() as scratch:
        store = SqliteStore(Path(scratch) / "recovery.db")
        await store.start()
        try:
            client = KrakenRestClient(sim.rest_url, Secret(KEY), Secret(SECRET), tier=UNTHROTTLED)
            stream = KrakenStream(sim.ws_url, sim.ws_auth_url, tokens=client, pair_source=client)
            async with KrakenExchange(client, stream) as kraken:
                tracker = (PerEventTracker if per_event else OrderTracker)(
                    store, MemoryEventBus(maxsize=1_000_000)
                )
                recovery = StreamRecovery(kraken, kraken, tracker, store, SystemClock(), poll_interval=60.0)
                await recovery.start()
                try:
                    quantity = FILL * fills * (repeats + 1)
                    order = Order.create(
                        client_order_id="bench-recovery",
                        symbol=SYMBOL,
                        side=OrderSide.BUY,
                        order_type=OrderType.LIMIT,
                        quantity=quantity,
                        limit_price=PRICE,
                        at=SystemClock().now(),
                    )
                    await tracker.record_placed(order)
                    await kraken.place_order(order)
                    await one_recovery(sim, kraken, recovery, store, fills, outage)  # warm-up, untimed
                    for repeat in range(repeats):
                        harness.progress(f"repeat {repeat + 1}/{repeats}")
                        healthy, caught_up = await one_recovery(sim, kraken, recovery, store, fills, outage)
                        results["healthy"].append(healthy)
                        results["caught_up"].append(caught_up)
                    reconnects = [r for r in recovery.reports if r.reason == "reconnect"][
                        1:
                    ]  # after the warm-up
                    results["backfill"] = [(r.finished_at - r.started_at).total_seconds() for r in reconnects]
                    new = [r.executions_new for r in reconnects]
                    harness.progress(f"fills new to the store per reconnect backfill: {new}")
                finally:
                    await recovery.close()
        finally:
            await store.close()
            await sim.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in well under a minute")
    parser.add_argument("--repeats", type=int, help="recoveries measured")
    parser.add_argument("--fills", type=int, help="fills made while cut off, per recovery")
    parser.add_argument("--outage", type=float, default=0.5, help="seconds the server refuses handshakes")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 15)
    fills = args.fills or (60 if args.quick else 200)
    results = asyncio.run(measure(repeats, fills, args.outage))
    harness.progress("baseline: the same recoveries with one unit of work per recovered event")
    per_event = asyncio.run(measure(repeats, fills, args.outage, per_event=True))
    healthy = harness.Summary.of(results["healthy"]).scaled(1000)
    caught_up = harness.Summary.of(results["caught_up"]).scaled(1000)
    detail = harness.latency_detail(caught_up, healthy, scale=1.0)
    report = harness.Report(f"Kraken recovery after an outage ({'quick' if args.quick else 'full'} run)")
    report.add(
        harness.figure(
            "kraken_recovery_caught_up",
            caught_up.p50,
            "ms",
            "stream_healthy",
            healthy.p50,
            harness.Target.value_below(1000, "ms"),
            detail,
        )
    )
    report.add(
        harness.figure(
            "kraken_recovery_caught_up_p99", caught_up.p99, "ms", "stream_healthy", healthy.p99, None, detail
        )
    )
    backfill = harness.Summary.of(results["backfill"]).scaled(1000)
    one_by_one = harness.Summary.of(per_event["backfill"]).scaled(1000)
    report.add(
        harness.figure(
            "kraken_recovery_backfill",
            backfill.p50,
            "ms",
            "per_event_units_of_work",
            one_by_one.p50,
            None,
            harness.latency_detail(backfill, one_by_one, scale=1.0),
        )
    )
    per_event_caught_up = harness.Summary.of(per_event["caught_up"]).scaled(1000)
    report.add(
        harness.figure(
            "kraken_recovery_caught_up_vs_per_event",
            caught_up.p50,
            "ms",
            "per_event_units_of_work",
            per_event_caught_up.p50,
            None,
            harness.latency_detail(caught_up, per_event_caught_up, scale=1.0),
        )
    )
    report.note(
        f"{repeats} recoveries of {fills} fills each, outage {args.outage:g} s; simulator in the same process; "
        f"SQLite store; Python {sys.version.split()[0]}"
    )
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

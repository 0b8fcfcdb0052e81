"""Chaos on the Kraken simulator, persisted in SQLite: 200 of our resting orders filled a ten-thousandth of a
bitcoin at a time by other traders (thousands of fills), while the network does its worst on a seeded schedule:
dropped connections, a zombie (silent) connection, an outage refusing handshakes, duplicated, reordered, lost
and malformed frames, failing and rate-limited REST calls. `KrakenStream` (journaling every frame) +
`StreamRecovery` (REST backfill after every reconnect and gap, polling while down) + `OrderTracker` on an
SQLite store must end with exactly the simulator's truth: every fill once (none lost, none applied twice), each
order's filled quantity and status, the position, every balance. Replaying the journal of that session finds
no fill the store lacks and none that differs from the stored one.

`GALFRIDAY_CHAOS_SCALE=N` multiplies the fills per order (N=4: about 20,000 fills) for a longer soak; the
default keeps the test near 30 s on a shared 2-core machine, where the SQLite store applies a few hundred fills
a second (one unit of work per event). The database lives on a RAM-backed filesystem when there is one: the
durability cost of fsync is not what is under test here, and the SQL path is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from kraken_chaos_faults import FAULTS, inject
from kraken_journaled_session import SYMBOL, converge, journaled_session, mismatch, place_ladder
from kraken_sim_market import simulator

from galfriday.adapters.kraken.stream import StreamSettings
from galfriday.adapters.kraken.ws_backoff import BackoffPolicy
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.state_comparison import MISSING, StateKind
from galfriday.domain.timestamps import EPOCH
from galfriday.errors import ExchangeError
from galfriday.replay_commands import replay_store

SCALE = max(1, int(os.environ.get("GALFRIDAY_CHAOS_SCALE", "1")))
ORDERS_PER_SIDE = 100
FILL = Decimal("0.0001")
ORDER_QUANTITY = FILL * 25 * SCALE
SEED = 20261124
RAM = Path("/dev/shm")
SETTINGS = StreamSettings(
    silence_timeout=1.5, ping_interval=0.5, backoff=BackoffPolicy(initial=0.05, maximum=0.3)
)


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path if not RAM.is_dir() else RAM / f"galfriday-chaos-{os.getpid()}-{tmp_path.name}"
    folder.mkdir(exist_ok=True)
    path = folder / "chaos.db"
    yield path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite = SqliteStore(db_path)
    await sqlite.start()
    try:
        yield sqlite
    finally:
        await sqlite.close()


async def test_under_chaos_the_sqlite_store_ends_identical_to_the_simulators_truth(
    store: SqliteStore,
) -> None:
    rng = random.Random(SEED)
    injected: Counter[str] = Counter()
    began = time.perf_counter()
    async with simulator(heartbeat_interval=0.2) as sim:
        async with journaled_session(sim, store, SETTINGS, poll_interval=0.5) as session:
            placed = await place_ladder(session, ORDERS_PER_SIDE, ORDER_QUANTITY, prefix="chaos")
            capacity = ORDER_QUANTITY * ORDERS_PER_SIDE * 2
            trades = int(capacity / FILL * Decimal("0.95"))  # most of every order, some left open
            faults = list(FAULTS) * 3
            rng.shuffle(faults)
            every = max(1, trades // (len(faults) + 1))
            cancels = 0
            for step in range(trades):
                side = rng.choice([OrderSide.BUY, OrderSide.SELL])
                limit = Decimal("29000") if side is OrderSide.SELL else Decimal("31000")
                sim.market.trade(SYMBOL, side, limit, FILL)
                if step % every == every // 2 and faults:
                    inject(sim, faults.pop(), rng, injected)
                if step % 500 == 250:
                    victim = rng.choice(placed)
                    with contextlib.suppress(ExchangeError):  # filled already, or an injected REST fault
                        await session.exchange.cancel_order(victim.exchange_order_id or "")
                        cancels += 1
                if step % 25 == 0:
                    await asyncio.sleep(0.1)  # about 250 trades a second: faults spread over the session
            await session.stream.wait_healthy(10)
            injected["malformed frames"] += sim.chaos.inject_malformed(endpoint="private")  # one that lands
            traded = time.perf_counter() - began
            await converge(sim, store, within=120 * SCALE)
            counters = session.stream.counters
            pipeline = session.stream.pipeline.counters
            backfills = [r for r in session.recovery.reports if r.reason != "start"]
        truth = sim.truth()

    async with store.unit_of_work() as uow:
        fills = await uow.executions.since(EPOCH)
        orders = await uow.orders.list_updated_since(EPOCH)
        position = await uow.positions.get(SYMBOL)
        journaled = len(await uow.journal.read(limit=10_000_000))
    elapsed = time.perf_counter() - began
    replayed = await replay_store(store)
    journal_fills = [d for d in replayed.differences if d.kind is StateKind.EXECUTION]

    print(  # the figures for the soak's report (pytest -s)
        f"\nchaos: {len(orders)} orders ({cancels} cancelled by us), {len(truth.executions)} fills, "
        f"{trades} trades by others; faults {dict(sorted(injected.items()))}; "
        f"stream: {counters.reconnects} reconnects ({counters.silent_disconnects} silent), "
        f"{pipeline.duplicates_dropped} duplicates dropped, {pipeline.gaps} gaps, "
        f"{pipeline.out_of_order} out of order, {pipeline.parse_errors} unreadable; "
        f"{len(backfills)} backfills applied {sum(r.executions_new for r in backfills)} fills before the stream did; "
        f"{journaled} frames journaled, replaying them lacks {len(journal_fills)} fills (REST-only); "
        f"trading {traded:.1f} s, total {elapsed:.1f} s"
    )
    assert await mismatch(sim, store) is None
    exec_ids = [f.exec_id for f in fills]
    assert len(exec_ids) == len(set(exec_ids)) == len(truth.executions)  # none lost, none twice
    assert set(exec_ids) == truth.exec_ids
    by_order = Counter(f.order_id for f in fills)
    for order in orders:
        assert order.exec_ids == {f.exec_id for f in fills if f.order_id == order.exchange_order_id}
        assert len(order.exec_ids) == by_order[order.exchange_order_id or ""]
    net = sum((e.quantity * e.side.sign for e in truth.domain_executions()), Decimal(0))
    assert position is not None
    assert position.quantity == net
    assert set(injected) >= set(FAULTS)
    assert counters.reconnects >= injected["drop"]
    assert pipeline.duplicates_dropped > 0
    assert pipeline.gaps > 0
    assert pipeline.parse_errors >= 1
    assert sum(r.executions_new for r in backfills) > 0, "lost frames must have needed REST backfills"
    # The journal holds no fill the store lacks and none that differs from the stored one; what it lacks is
    # what only REST delivered (REST responses are not journaled).
    assert all(d.field == MISSING for d in journal_fills), journal_fills[:5]

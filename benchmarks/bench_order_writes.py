"""Order and execution writes: one unit of work per write through `PostgresStore`, against raw asyncpg.

Each write is a committed transaction of its own (with the server's default `synchronous_commit = on`, every
commit waits for the WAL flush), timed end to end:

- `order_save`: `async with store.unit_of_work() as uow: await uow.orders.save(order); await uow.commit()`.
  Every order is saved twice, as in its life: when created (an insert) and once acknowledged and partly filled
  (an update). Baseline: `INSERT INTO orders ... ON CONFLICT (client_order_id) DO UPDATE` of the same row
  values, in a transaction of its own on a connection of the same pool.
- `execution_add`: `uow.executions.add(execution)` + commit, a new execution each time. Baseline: `INSERT INTO
  executions ... ON CONFLICT (venue, exec_id) DO NOTHING` of the same row, in its own transaction.
- `execution_add_many`: `uow.executions.add_many` of 1,000 executions + commit, as rows/s. Baseline: asyncpg
  `executemany` of the single-row INSERT above over the same 1,000 rows, in one transaction.

The store and the baseline write the same rows into the same (emptied) tables, block by block, alternating which
goes first. Reported: p50 and p99 latency, and the batch rate (median of the repeats). There is no target but
to report them (issue 3, section 9); the ratio to the raw statement shows the adapter's own cost.

    python benchmarks/bench_order_writes.py [--quick] [--dsn postgresql://...] [--orders N] [--executions N]
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import harness

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.domain.executions import Execution
from galfriday.domain.orders import Order
from galfriday.testing import samples

VENUE = "default"

RAW_SAVE_ORDER = """
INSERT INTO orders (client_order_id, exchange_order_id, symbol, side, order_type, time_in_force, quantity,
    limit_price, status, filled_quantity, filled_cost, fees, closed_filled_quantity, exec_ids, external, reason,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (client_order_id) DO UPDATE SET
    exchange_order_id = EXCLUDED.exchange_order_id, symbol = EXCLUDED.symbol, side = EXCLUDED.side,
    order_type = EXCLUDED.order_type, time_in_force = EXCLUDED.time_in_force, quantity = EXCLUDED.quantity,
    limit_price = EXCLUDED.limit_price, status = EXCLUDED.status, filled_quantity = EXCLUDED.filled_quantity,
    filled_cost = EXCLUDED.filled_cost, fees = EXCLUDED.fees,
    closed_filled_quantity = EXCLUDED.closed_filled_quantity, exec_ids = EXCLUDED.exec_ids,
    external = EXCLUDED.external, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at,
    updated_at = EXCLUDED.updated_at
"""

RAW_ADD_EXECUTION = """
INSERT INTO executions (venue, exec_id, order_id, client_order_id, trade_id, symbol, side, quantity, price, fee,
    fee_currency, liquidity, ts)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (venue, exec_id) DO NOTHING
"""

BATCH = 1_000
"""Executions per `add_many` call."""

Row = tuple[Any, ...]


def order_row(order: Order) -> Row:
    """The order as the baseline's statement parameters (built before timing)."""
    return (
        order.client_order_id,
        order.exchange_order_id,
        order.symbol,
        order.side.value,
        order.order_type.value,
        order.time_in_force.value,
        order.quantity,
        order.limit_price,
        order.status.value,
        order.filled_quantity,
        order.filled_cost,
        {currency: str(fee) for currency, fee in order.fees.items()},
        order.closed_filled_quantity,
        sorted(order.exec_ids),
        order.external,
        order.reason,
        order.created_at,
        order.updated_at,
    )


def execution_row(execution: Execution) -> Row:
    """The execution as the baseline's statement parameters (built before timing)."""
    return (
        VENUE,
        execution.exec_id,
        execution.order_id,
        execution.client_order_id,
        execution.trade_id,
        execution.symbol,
        execution.side.value,
        execution.quantity,
        execution.price,
        execution.fee,
        execution.fee_currency,
        execution.liquidity.value,
        execution.timestamp,
    )


def order_saves(count: int, tag: str) -> list[Order]:
    """`count` orders, each saved twice: new (pending), then acknowledged with one fill; in that order."""
    saves = []
    for i in range(count):
        created = samples.order(f"{tag}-{i}", at=samples.instant(i))
        acknowledged = created.apply_status(
            "new", samples.instant(i + 0.1), exchange_order_id=f"OX-{tag}-{i}"
        )
        fill = samples.execution(
            f"{tag}-fill-{i}",
            order_id=f"OX-{tag}-{i}",
            quantity=Decimal("0.125"),
            price=Decimal("30000.5") + Decimal(i % 100).scaleb(-1),
            timestamp=samples.instant(i + 0.2),
        )
        saves += [created, acknowledged.order.apply_execution(fill).order]
    return saves


def executions(count: int, tag: str) -> list[Execution]:
    """`count` distinct fills over a few orders, with varied prices and times."""
    return [
        samples.execution(
            f"{tag}-exec-{i}",
            order_id=f"OX-{tag}-{i // 4}",
            client_order_id=f"{tag}-{i // 4}",
            quantity=Decimal(1 + i % 7).scaleb(-3),
            price=Decimal("30000.5") + Decimal(i % 1000).scaleb(-2),
            timestamp=samples.T0 + timedelta(milliseconds=i),
        )
        for i in range(count)
    ]


async def empty(pool: Any, table: str) -> None:
    async with pool.acquire() as connection:
        await connection.execute(f"TRUNCATE {table}")


async def paired_latencies(
    pool: Any,
    table: str,
    count: int,
    through_store: Callable[[int], Awaitable[Any]],
    raw: Callable[[int], Awaitable[Any]],
    *,
    block: int,
) -> tuple[list[float], list[float]]:
    """Write items 0..count-1 both ways, block by block on an emptied `table`, alternating which goes first."""
    ours: list[float] = []
    theirs: list[float] = []
    for number, first in enumerate(range(0, count, block)):
        indices = range(first, min(first + block, count))
        paths = [(through_store, ours), (raw, theirs)]
        if number % 2:
            paths.reverse()
        for write, into in paths:
            await empty(pool, table)
            for i in indices:
                into.append(await harness.timed(lambda i=i, write=write: write(i)))
    return ours, theirs


async def measure(
    dsn: str, *, orders: int, single_executions: int, batches: int, warmup: int, block: int
) -> harness.Report:
    store = PostgresStore(
        dsn,
        pool_min_size=2,
        pool_max_size=2,
        application_name="galfriday-bench-writes",
        slow_query_ms=harness.QUIET_MS,
        venue=VENUE,
    )
    await store.start()
    try:
        pool = store.pool()
        report = harness.Report(
            f"order and execution writes: one committed unit of work per write; {2 * orders:,} order saves, "
            f"{single_executions:,} execution adds, {batches} batches of {BATCH:,} (after {warmup} warm-up "
            f"writes each); latencies in ms"
        )

        async def save_order(order: Order) -> None:
            async with store.unit_of_work() as uow:
                await uow.orders.save(order)
                await uow.commit()

        async def raw_save_order(row: Row) -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(RAW_SAVE_ORDER, *row)

        async def add_execution(execution: Execution) -> None:
            async with store.unit_of_work() as uow:
                await uow.executions.add(execution)
                await uow.commit()

        async def raw_add_execution(row: Row) -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(RAW_ADD_EXECUTION, *row)

        harness.progress("warm-up")
        for order in order_saves(warmup, "warm"):
            await save_order(order)
            await raw_save_order(order_row(order))
        for execution in executions(warmup, "warm"):
            await add_execution(execution)
            await raw_add_execution(execution_row(execution))

        harness.progress(f"order saves: {2 * orders:,} each way")
        saves = order_saves(orders, "bench")
        save_rows = [order_row(order) for order in saves]
        ours, theirs = await paired_latencies(
            pool,
            "orders",
            len(saves),
            lambda i: save_order(saves[i]),
            lambda i: raw_save_order(save_rows[i]),
            block=block,
        )
        add_latency_figures(report, "order_save", ours, theirs, "asyncpg_insert_on_conflict")

        harness.progress(f"execution adds: {single_executions:,} each way")
        fills = executions(single_executions, "single")
        fill_rows = [execution_row(execution) for execution in fills]
        ours, theirs = await paired_latencies(
            pool,
            "executions",
            len(fills),
            lambda i: add_execution(fills[i]),
            lambda i: raw_add_execution(fill_rows[i]),
            block=block,
        )
        add_latency_figures(report, "execution_add", ours, theirs, "asyncpg_insert_on_conflict")

        harness.progress(f"execution batches: {batches} x {BATCH:,} each way")

        async def add_many(batch: Sequence[Execution]) -> None:
            async with store.unit_of_work() as uow:
                added = await uow.executions.add_many(batch)
                await uow.commit()
            if added != len(batch):
                raise RuntimeError(f"add_many added {added} of {len(batch)}")

        async def raw_executemany(rows: Sequence[Row]) -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.executemany(RAW_ADD_EXECUTION, rows)

        batch_fills = executions(BATCH, "batch")
        batch_rows = [execution_row(execution) for execution in batch_fills]
        await empty(pool, "executions")
        await add_many(batch_fills)  # warm-up
        await empty(pool, "executions")
        await raw_executemany(batch_rows)
        seconds: dict[str, list[float]] = {"store": [], "raw": []}
        for repeat in range(batches):
            order_of_paths = ("store", "raw") if repeat % 2 else ("raw", "store")
            for path in order_of_paths:
                await empty(pool, "executions")
                if path == "store":
                    seconds[path].append(await harness.timed(lambda: add_many(batch_fills)))
                else:
                    seconds[path].append(await harness.timed(lambda: raw_executemany(batch_rows)))
        store_rates = harness.Summary.of(harness.rates(BATCH, seconds["store"]))
        raw_rates = harness.Summary.of(harness.rates(BATCH, seconds["raw"]))
        report.add(
            harness.figure(
                "execution_add_many",
                store_rates.median,
                "rows/s",
                "asyncpg_executemany",
                raw_rates.median,
                detail=harness.rate_detail(store_rates, raw_rates),
            )
        )
    finally:
        await store.close()
    return report


def add_latency_figures(
    report: harness.Report, metric: str, ours: Sequence[float], theirs: Sequence[float], baseline: str
) -> None:
    """p50 and p99 (ms) of the store's writes against the raw statement's."""
    store_s, raw_s = harness.Summary.of(ours), harness.Summary.of(theirs)
    store_ms, raw_ms = store_s.scaled(1000), raw_s.scaled(1000)
    detail = harness.latency_detail(store_s, raw_s)
    report.add(harness.figure(f"{metric}_p50", store_ms.p50, "ms", baseline, raw_ms.p50, detail=detail))
    report.add(harness.figure(f"{metric}_p99", store_ms.p99, "ms", baseline, raw_ms.p99))


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0], seeded=False)
    parser.add_argument("--orders", type=int, help="orders, each saved twice (default 1,000; quick 100)")
    parser.add_argument("--executions", type=int, help="single execution adds (default 2,000; quick 200)")
    parser.add_argument("--batches", type=int, help=f"add_many batches of {BATCH:,} (default 20; quick 5)")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {
        "orders": args.orders or (100 if args.quick else 1_000),
        "single_executions": args.executions or (200 if args.quick else 2_000),
        "batches": max(3, args.batches or (5 if args.quick else 20)),
        "warmup": 20 if args.quick else 100,
        "block": 100 if args.quick else 200,
    }
    with harness.scratch_database(harness.admin_dsn(args.dsn), "writes") as dsn:
        report = asyncio.run(measure(dsn, **options))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

"""Candle bulk ingest: `PostgresStore` `uow.candles.upsert_many` against a raw asyncpg COPY of the same rows.

Both paths write the same rows (the same `Decimal` values) in the same batches (one symbol's candles per
transaction), in the same run, on the same server:

- store: `async with store.unit_of_work() as uow: await uow.candles.upsert_many(candles); await uow.commit()`
  into the month-partitioned `candles` table (COPY into a temporary table, then `INSERT ... ON CONFLICT`);
- baseline: `copy_records_to_table` of the rows as tuples into a plain table with the same columns (`LIKE
  candles`: no partitions, no key), in one transaction per batch, on a connection of the same pool.

Each repeat starts on empty tables (TRUNCATE, then CHECKPOINT), the two paths alternate which goes first, and the
figure is the median over the repeats. Targets (issue 3, section 9): ratio >= 0.8, and >= 200,000 rows/s.

    python benchmarks/bench_candle_ingest.py [--quick] [--dsn postgresql://...] [--repeats N]
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import harness

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.domain.market_data import Candle

SYMBOLS = (
    "BTC/USD",
    "ETH/USD",
    "SOL/USD",
    "XRP/USD",
    "ADA/USD",
    "DOT/USD",
    "LTC/USD",
    "LINK/USD",
    "AVAX/USD",
    "ATOM/USD",
)

COLUMNS = (
    "symbol",
    "interval_seconds",
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "trade_count",
)
"""The columns of `candles`, in the order of a row tuple (and of `Candle`'s fields)."""

PLAIN_TABLE = "bench_candles_plain"
CREATE_PLAIN_TABLE = f"CREATE TABLE {PLAIN_TABLE} (LIKE candles)"
"""The baseline's table: the same columns, types, collations and NOT NULLs; no partitions, no key."""

START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

Row = tuple[Any, ...]


def candle_rows(symbol: str, start: datetime, minutes: int, rng: random.Random) -> list[Row]:
    """`minutes` consecutive 1-minute candles of a random walk, as row tuples of exact `Decimal` values.

    Prices have 2 decimal places, volumes 8: the shape of real exchange data, not zeros.
    """
    cents = rng.randint(1_00, 60_000_00)
    rows: list[Row] = []
    for i in range(minutes):
        open_cents = cents
        close_cents = max(1, open_cents + rng.randint(-(open_cents // 500) - 1, open_cents // 500 + 1))
        high_cents = max(open_cents, close_cents) + rng.randint(0, open_cents // 1000 + 1)
        low_cents = max(1, min(open_cents, close_cents) - rng.randint(0, open_cents // 1000 + 1))
        rows.append(
            (
                symbol,
                60,
                start + i * MINUTE,
                Decimal(open_cents).scaleb(-2),
                Decimal(high_cents).scaleb(-2),
                Decimal(low_cents).scaleb(-2),
                Decimal(close_cents).scaleb(-2),
                Decimal(rng.randint(0, 5_000_000_000)).scaleb(-8),
                rng.randint(0, 900),
            )
        )
        cents = close_cents
    return rows


def candles_of(rows: Sequence[Row]) -> list[Candle]:
    """The same rows as domain candles (built before any timing starts)."""
    return [Candle(*row) for row in rows]


async def store_ingest(store: PostgresStore, batches: Sequence[list[Candle]]) -> float:
    """Seconds to upsert every batch through the store, one unit of work (and commit) per batch."""
    start = harness.clock()
    for candles in batches:
        async with store.unit_of_work() as uow:
            await uow.candles.upsert_many(candles)
            await uow.commit()
    return harness.clock() - start


async def raw_copy(pool: Any, batches: Sequence[list[Row]]) -> float:
    """Seconds to COPY every batch into the plain table with bare asyncpg, one transaction per batch."""
    start = harness.clock()
    for records in batches:
        async with pool.acquire() as connection, connection.transaction():
            await connection.copy_records_to_table(PLAIN_TABLE, records=records, columns=COLUMNS)
    return harness.clock() - start


async def empty_tables(pool: Any) -> None:
    """Start a repeat from empty tables and a fresh checkpoint, so no repeat pays for the one before."""
    async with pool.acquire() as connection:
        await connection.execute(f"TRUNCATE candles, {PLAIN_TABLE}")
        try:
            await connection.execute("CHECKPOINT")
        except Exception as exc:  # not a superuser: the repeats are then a little noisier
            harness.progress(f"CHECKPOINT refused ({type(exc).__name__}); continuing without")


async def count_rows(pool: Any, table: str) -> int:
    async with pool.acquire() as connection:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))


async def measure(dsn: str, *, symbols: int, minutes: int, repeats: int, seed: int) -> harness.Report:
    rng = random.Random(seed)
    harness.progress(f"generating {symbols} x {minutes:,} one-minute candles")
    row_batches = [candle_rows(symbol, START, minutes, rng) for symbol in SYMBOLS[:symbols]]
    candle_batches = [candles_of(rows) for rows in row_batches]
    total = symbols * minutes
    harness.freeze_heap()

    store = PostgresStore(
        dsn,
        pool_min_size=2,
        pool_max_size=2,
        application_name="galfriday-bench-ingest",
        slow_query_ms=harness.QUIET_MS,
    )
    await store.start()
    try:
        pool = store.pool()
        async with pool.acquire() as connection:
            await connection.execute(CREATE_PLAIN_TABLE)
        harness.progress("warm-up (creates the month partitions, prepares statements)")
        await store_ingest(store, candle_batches[:1])
        await raw_copy(pool, row_batches[:1])

        durations: dict[str, list[float]] = {"store": [], "raw": []}
        for repeat in range(repeats):
            order = ("store", "raw") if repeat % 2 else ("raw", "store")
            for path in order:
                await empty_tables(pool)
                if path == "store":
                    seconds = await store_ingest(store, candle_batches)
                    written = await count_rows(pool, "candles")
                else:
                    seconds = await raw_copy(pool, row_batches)
                    written = await count_rows(pool, PLAIN_TABLE)
                if written != total:
                    raise RuntimeError(f"{path} wrote {written} rows, expected {total}")
                durations[path].append(seconds)
                harness.progress(f"repeat {repeat + 1}/{repeats} {path}: {total / seconds:,.0f} rows/s")
    finally:
        await store.close()

    ours = harness.Summary.of(harness.rates(total, durations["store"]))
    theirs = harness.Summary.of(harness.rates(total, durations["raw"]))
    detail = harness.rate_detail(ours, theirs)
    report = harness.Report(
        f"candle ingest: {symbols} symbols x {minutes:,} minutes = {total:,} rows, "
        f"batches of {minutes:,} (one symbol per transaction), median of {repeats} repeats"
    )
    report.add(
        harness.figure(
            "candle_ingest",
            ours.median,
            "rows/s",
            "asyncpg_copy_plain_table",
            theirs.median,
            harness.Target.ratio_at_least(0.8),
            detail,
        )
    )
    report.add(
        harness.figure(
            "candle_ingest_rate",
            ours.median,
            "rows/s",
            "asyncpg_copy_plain_table",
            theirs.median,
            harness.Target.value_at_least(200_000, "rows/s"),
        )
    )
    paired = [raw / ours for ours, raw in zip(durations["store"], durations["raw"], strict=True)]
    report.note(
        "ratio of each repeat (store / the raw COPY run next to it): "
        + ", ".join(f"{ratio:.2f}" for ratio in paired)
        + f"; median {harness.percentile(paired, 50):.2f}"
    )
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, help=f"symbols (default 10, at most {len(SYMBOLS)})")
    parser.add_argument(
        "--minutes", type=int, help="one-minute candles per symbol (default 50,000; quick 2,000)"
    )
    parser.add_argument(
        "--repeats", type=int, help="timed repeats of each path (default 7; quick 3; at least 3)"
    )
    args = parser.parse_args(argv)
    symbols = min(args.symbols or 10, len(SYMBOLS))
    minutes = args.minutes or (2_000 if args.quick else 50_000)
    repeats = max(3, args.repeats or (3 if args.quick else 7))
    with harness.scratch_database(harness.admin_dsn(args.dsn), "ingest") as dsn:
        report = asyncio.run(measure(dsn, symbols=symbols, minutes=minutes, repeats=repeats, seed=args.seed))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

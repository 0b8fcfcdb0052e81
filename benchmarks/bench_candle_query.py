"""One-day candle query: `uow.candles.range` of 1,440 one-minute candles against the raw asyncpg fetch.

A year of one-minute candles for 10 symbols (5,256,000 rows) is loaded through the store's own bulk path
(`upsert_many`, one symbol-month per unit of work), then vacuumed and analysed. Then one UTC day of one symbol,
chosen at random, is queried many times, each query both ways in random order on the same pool and server:

- store: `await uow.candles.range(symbol, 60, day, day + 1 day)` inside an open unit of work, returning
  `Candle`s; and the whole unit of work around it (acquire, BEGIN, the query, ROLLBACK, release);
- baseline: `await connection.fetch(QUERY, ...)` of the same SELECT on a pooled connection, returning asyncpg
  records with `Decimal` values; and `pool.fetch` (acquire, the query, release).

Target (issue 3, section 9): p50 < 3 ms. The ratio to the raw fetch is reported beside it, with p99.

    python benchmarks/bench_candle_query.py [--quick] [--dsn postgresql://...] [--days N] [--queries N]
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import harness
from bench_candle_ingest import SYMBOLS, candle_rows, candles_of

from galfriday.adapters.postgres.store import PostgresStore

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTES_PER_DAY = 1_440
LOAD_CHUNK_DAYS = 30
"""Days of one symbol per unit of work while loading (43,200 rows)."""

QUERY = """
SELECT symbol, interval_seconds, open_time, open, high, low, close, volume, trade_count FROM candles
WHERE symbol = $1 AND interval_seconds = $2 AND open_time >= $3 AND open_time < $4
ORDER BY open_time
"""
"""The statement `candles.range` runs, written out for the baseline."""


async def load(store: PostgresStore, *, symbols: int, days: int, seed: int) -> tuple[int, float]:
    """Load `days` of one-minute candles per symbol through `upsert_many`; (rows, seconds in the store)."""
    rng = random.Random(seed)
    rows = 0
    in_store = 0.0
    for symbol in SYMBOLS[:symbols]:
        for first_day in range(0, days, LOAD_CHUNK_DAYS):
            chunk_days = min(LOAD_CHUNK_DAYS, days - first_day)
            candles = candles_of(
                candle_rows(symbol, YEAR_START + first_day * DAY, chunk_days * MINUTES_PER_DAY, rng)
            )
            start = harness.clock()
            async with store.unit_of_work() as uow:
                rows += await uow.candles.upsert_many(candles)
                await uow.commit()
            in_store += harness.clock() - start
        harness.progress(f"loaded {symbol}: {rows:,} rows so far")
    return rows, in_store


async def measure(
    dsn: str, *, symbols: int, days: int, queries: int, warmup: int, seed: int
) -> harness.Report:
    store = PostgresStore(
        dsn,
        pool_min_size=2,
        pool_max_size=2,
        application_name="galfriday-bench-query",
        slow_query_ms=harness.QUIET_MS,
    )
    await store.start()
    try:
        pool = store.pool()
        harness.progress(f"loading {days} days x {symbols} symbols of one-minute candles through the store")
        load_start = harness.clock()
        loaded, in_store = await load(store, symbols=symbols, days=days, seed=seed)
        load_seconds = harness.clock() - load_start
        async with pool.acquire() as connection:
            await connection.execute("VACUUM ANALYZE candles")
        harness.progress(f"loaded {loaded:,} rows in {load_seconds:.0f} s; querying")

        harness.freeze_heap()
        rng = random.Random(seed + 1)
        samples: dict[str, list[float]] = {"range": [], "unit": [], "fetch": [], "pool": []}

        async def through_store(symbol: str, start: datetime) -> None:
            begin = harness.clock()
            async with store.unit_of_work() as uow:
                asked = harness.clock()
                candles = await uow.candles.range(symbol, 60, start, start + DAY)
                answered = harness.clock()
            ended = harness.clock()
            if len(candles) != MINUTES_PER_DAY:
                raise RuntimeError(f"store returned {len(candles)} candles for {symbol} {start:%Y-%m-%d}")
            if recording:
                samples["range"].append(answered - asked)
                samples["unit"].append(ended - begin)

        async def raw(symbol: str, start: datetime) -> None:
            begin = harness.clock()
            async with pool.acquire() as connection:
                asked = harness.clock()
                records = await connection.fetch(QUERY, symbol, 60, start, start + DAY)
                answered = harness.clock()
            ended = harness.clock()
            if len(records) != MINUTES_PER_DAY:
                raise RuntimeError(f"raw fetch returned {len(records)} rows for {symbol} {start:%Y-%m-%d}")
            if recording:
                samples["fetch"].append(answered - asked)
                samples["pool"].append(ended - begin)

        recording = False
        for i in range(warmup + queries):
            recording = i >= warmup
            symbol = rng.choice(SYMBOLS[:symbols])
            start = YEAR_START + rng.randrange(days) * DAY
            paths = [through_store, raw]
            rng.shuffle(paths)
            for path in paths:
                await path(symbol, start)
        server_ms = await server_times(pool, rng, symbols=symbols, days=days)
    finally:
        await store.close()

    summaries = {name: harness.Summary.of(values) for name, values in samples.items()}
    report = harness.Report(
        f"one-day candle query: {MINUTES_PER_DAY:,} rows out of {loaded:,} ({symbols} symbols x {days} days), "
        f"{queries:,} random days after {warmup} warm-up queries; latencies in ms"
    )
    target = harness.Target.value_below(3, "ms")
    pairs = (
        ("candle_query_day", "range", "asyncpg_fetch", "fetch"),
        ("candle_query_day_unit_of_work", "unit", "asyncpg_pool_fetch", "pool"),
    )
    for metric, ours, baseline, theirs in pairs:
        store_s, raw_s = summaries[ours], summaries[theirs]
        store_ms, raw_ms = store_s.scaled(1000), raw_s.scaled(1000)
        detail = harness.latency_detail(store_s, raw_s)
        report.add(harness.figure(f"{metric}_p50", store_ms.p50, "ms", baseline, raw_ms.p50, target, detail))
        report.add(harness.figure(f"{metric}_p99", store_ms.p99, "ms", baseline, raw_ms.p99))
    report.note(
        f"load through uow.candles.upsert_many: {loaded:,} rows in {load_seconds:.0f} s including generating "
        f"them ({loaded / in_store:,.0f} rows/s inside the store)"
    )
    report.note(
        f"server side (EXPLAIN ANALYZE of the same statement, {len(server_ms)} random days): execution p50 "
        f"{harness.percentile(server_ms, 50):.2f} ms; the rest of each figure is the client: the round trip, "
        "decoding the rows, and for the store building the Candles"
    )
    return report


async def server_times(pool: Any, rng: random.Random, *, symbols: int, days: int) -> list[float]:
    """Execution times (ms) Postgres reports for the statement itself, without sending or decoding rows."""
    times = []
    async with pool.acquire() as connection:
        for _ in range(30):
            start = YEAR_START + rng.randrange(days) * DAY
            plan = await connection.fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + QUERY,
                rng.choice(SYMBOLS[:symbols]),
                60,
                start,
                start + DAY,
            )
            times.append(float(json.loads(plan)[0]["Execution Time"]))
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, help=f"symbols (default 10, at most {len(SYMBOLS)}; quick 2)")
    parser.add_argument(
        "--days", type=int, help="days of one-minute candles per symbol (default 365; quick 30)"
    )
    parser.add_argument("--queries", type=int, help="timed one-day queries (default 2,000; quick 300)")
    args = parser.parse_args(argv)
    symbols = min(args.symbols or (2 if args.quick else 10), len(SYMBOLS))
    days = args.days or (30 if args.quick else 365)
    queries = args.queries or (300 if args.quick else 2_000)
    warmup = 50 if args.quick else 200
    options: dict[str, Any] = {"symbols": symbols, "days": days, "queries": queries, "warmup": warmup}
    with harness.scratch_database(harness.admin_dsn(args.dsn), "query") as dsn:
        report = asyncio.run(measure(dsn, seed=args.seed, **options))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

"""Prediction log writes: `uow.predictions.add_many` + commit through `PostgresStore`, against a raw COPY.

The prediction log (galfriday.services.prediction_log) writes its buffer in batches, 1,000 predictions by default
and a handful when it flushes on its period; a bulk import writes more. Three sizes are measured as rows/s, one
committed unit of work per batch:

- `prediction_add_many` (1,000 rows), `prediction_add_many_small` (10 rows) and `prediction_add_many_large`
  (5,000 rows): the store's `add_many`.
  Baseline: asyncpg `copy_records_to_table` of the same rows straight into `predictions` in a transaction of
  its own: the fastest way in, without the duplicate handling the store must do.
- How the store could insert a batch while ignoring ids already stored, each as raw asyncpg on the same rows
  and against the same baseline, at each size (`prediction_<way>`, `prediction_<way>_small`, `_large`):
  `executemany` of a single-row `INSERT ... ON CONFLICT (id) DO NOTHING`; one `INSERT ... SELECT FROM unnest(...)
  ON CONFLICT DO NOTHING`; COPY into a temporary staging table, then `INSERT ... SELECT ... ON CONFLICT DO
  NOTHING` (`copy_staging`). The store uses `unnest` below 100 rows and `copy_staging` from 100 rows on
  (`PREDICTION_COPY_ROWS`); these figures are the evidence for that choice.

Every way writes the same rows into the emptied table, alternating the order of the ways from repeat to repeat.
Reported: the median rate of the repeats. No target: the ratios show the adapter's cost over a bare COPY.

    python benchmarks/bench_prediction_writes.py [--quick] [--dsn postgresql://...] [--batches N]
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import harness

from galfriday.adapters.postgres.audit_repositories import (
    PREDICTION_COLUMNS,
    PREDICTION_COPY_ROWS,
    prediction_row,
)
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.domain.experiments import PredictionRecord
from galfriday.testing import samples

BATCH = 1_000
SMALL = 10
LARGE = 5_000

Row = tuple[Any, ...]

_COLUMNS = ", ".join(PREDICTION_COLUMNS)

RAW_INSERT = f"""
INSERT INTO predictions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (id) DO NOTHING
"""

RAW_UNNEST = f"""
INSERT INTO predictions ({_COLUMNS})
SELECT * FROM unnest(
    $1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::jsonb[],
    $9::double precision[], $10::timestamptz[], $11::double precision[], $12::text[]
)
ON CONFLICT (id) DO NOTHING
"""

RAW_STAGING = "bench_predictions_incoming"

RAW_CREATE_STAGING = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {RAW_STAGING} (LIKE predictions) ON COMMIT DELETE ROWS"
)

RAW_MOVE_STAGED = f"""
WITH staged AS (DELETE FROM {RAW_STAGING} RETURNING {_COLUMNS})
INSERT INTO predictions ({_COLUMNS}) SELECT {_COLUMNS} FROM staged ON CONFLICT (id) DO NOTHING
"""


def predictions(count: int, tag: str) -> list[PredictionRecord]:
    """`count` shadow predictions of one experiment, with two-class probabilities and varied latencies."""
    return [
        PredictionRecord(
            id=f"{tag}-{i}",
            model_name="btc-direction",
            version=3 + i % 2,
            experiment_id="exp-1",
            arm="candidate" if i % 2 else "control",
            routing_key=f"decision-{i}",
            acted=not i % 2,
            outputs={"probabilities": (0.25 + (i % 100) / 1000, 0.75 - (i % 100) / 1000)},
            latency_seconds=0.000_004 + (i % 37) * 1e-7,
            at=samples.T0 + timedelta(milliseconds=i),
            bucket=(i % 10_000) / 10_000,
            features_hash=f"{i:08x}",
        )
        for i in range(count)
    ]


async def measure(dsn: str, *, batches: int) -> harness.Report:
    store = PostgresStore(
        dsn,
        pool_min_size=2,
        pool_max_size=2,
        application_name="galfriday-bench-predictions",
        slow_query_ms=harness.QUIET_MS,
    )
    await store.start()
    try:
        pool = store.pool()
        report = harness.Report(
            f"prediction writes: one committed unit of work per batch; per way {batches} batches of {BATCH:,}, "
            f"{batches} x 20 batches of {SMALL} and {batches} batches of {LARGE:,} (after a warm-up); rows/s"
        )

        def through_store(batch: Sequence[PredictionRecord]) -> Callable[[], Awaitable[None]]:
            async def write() -> None:
                async with store.unit_of_work() as uow:
                    added = await uow.predictions.add_many(batch)
                    await uow.commit()
                if added != len(batch):
                    raise RuntimeError(f"add_many added {added} of {len(batch)}")

            return write

        def raw(way: str, rows: Sequence[Row]) -> Callable[[], Awaitable[None]]:
            columns = [list(column) for column in zip(*rows, strict=True)]

            async def write() -> None:
                async with pool.acquire() as connection, connection.transaction():
                    if way == "copy_plain":
                        await connection.copy_records_to_table(
                            "predictions", records=rows, columns=PREDICTION_COLUMNS
                        )
                    elif way == "executemany":
                        await connection.executemany(RAW_INSERT, rows)
                    elif way == "unnest":
                        await connection.execute(RAW_UNNEST, *columns)
                    else:
                        await connection.execute(RAW_CREATE_STAGING)
                        await connection.copy_records_to_table(
                            RAW_STAGING, records=rows, columns=PREDICTION_COLUMNS
                        )
                        await connection.execute(RAW_MOVE_STAGED)

            return write

        async def empty() -> None:
            async with pool.acquire() as connection:
                await connection.execute("TRUNCATE predictions")

        ways = ["store", "copy_plain", "executemany", "unnest", "copy_staging"]
        for size, suffix, per_repeat in ((BATCH, "", 1), (SMALL, "_small", 20), (LARGE, "_large", 1)):
            harness.progress(f"batches of {size:,}: {batches} repeats, {per_repeat} batch(es) each, per way")
            batches_of = {way: [predictions(size, f"{way}-{k}") for k in range(per_repeat)] for way in ways}
            writes: dict[str, list[Callable[[], Awaitable[None]]]] = {
                way: [
                    through_store(batch)
                    if way == "store"
                    else raw(way, [prediction_row(record) for record in batch])
                    for batch in batches_of[way]
                ]
                for way in ways
            }
            for way in ways:  # warm-up: statements prepared, staging tables made, caches hot
                await empty()
                for write in writes[way]:
                    await write()
            seconds: dict[str, list[float]] = {way: [] for way in ways}
            for repeat in range(batches):
                order = ways[repeat % len(ways) :] + ways[: repeat % len(ways)]
                for way in order:
                    await empty()
                    elapsed = 0.0
                    for write in writes[way]:
                        elapsed += await harness.timed(write)
                    seconds[way].append(elapsed)
            baseline = harness.Summary.of(harness.rates(size * per_repeat, seconds["copy_plain"]))
            for way in ways:
                if way == "copy_plain":
                    continue
                rates = harness.Summary.of(harness.rates(size * per_repeat, seconds[way]))
                metric = "prediction_add_many" if way == "store" else f"prediction_{way}"
                report.add(
                    harness.figure(
                        metric + suffix,
                        rates.median,
                        "rows/s",
                        "asyncpg_copy_plain_table",
                        baseline.median,
                        detail=harness.rate_detail(rates, baseline),
                    )
                )
        report.note(
            f"store: unnest below {PREDICTION_COPY_ROWS} rows, COPY staging from {PREDICTION_COPY_ROWS} rows on"
        )
    finally:
        await store.close()
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = harness.arguments(__doc__.splitlines()[0], seeded=False)
    parser.add_argument("--batches", type=int, help="repeats per way and size (default 15; quick 3)")
    args = parser.parse_args(argv)
    batches = max(3, args.batches or (3 if args.quick else 15))
    with harness.scratch_database(harness.admin_dsn(args.dsn), "predictions") as dsn:
        report = asyncio.run(measure(dsn, batches=batches))
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))

"""`galfriday run` on the Kraken simulator with a real Postgres store (issue 5, end to end): fills made while the
connection is refused are backfilled after the reconnect and a reconnect reconciliation runs; Postgres then
holds exactly the simulator's fills and order states, one `reconciliation_events` row per run (start-up, then
reconnect) and a `position_adjustments` row for every correction those runs report, and nothing else.

The same scenario on SQLite is tests/integration/kraken/test_run_on_kraken_simulator.py."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
import pytest

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.testing.kraken_simulator import KrakenSimulator
from galfriday.testing.run_process import (
    PRICES,
    RunningGalfriday,
    assert_store_matches_the_simulator,
    galfriday_run,
    place_bids,
    run_config,
    sell_into,
)

KEY = "postgres-e2e-api-key"
SECRET = base64.b64encode(b"postgres-e2e-key" * 4).decode()

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def run_on_postgres(sim: KrakenSimulator, dsn: str, tmp_path: Path) -> AsyncIterator[RunningGalfriday]:
    """`galfriday run` on `sim` with the Postgres store at `dsn`; its waits allow a minute."""
    config = tmp_path / "galfriday.toml"
    config.write_text(
        run_config(f'adapter = "postgres"\ndsn = "{dsn}"\npool_min_size = 1\npool_max_size = 4')
    )
    async with galfriday_run(sim, config, api_key=KEY, api_secret=SECRET, within=60) as running:
        yield running


async def assert_postgres_matches_the_simulator(dsn: str, sim: KrakenSimulator, fills: int) -> None:
    store = PostgresStore(
        dsn, pool_min_size=1, pool_max_size=2, venue="kraken"
    )  # the run keeps its fills there
    await store.start()
    try:
        await assert_store_matches_the_simulator(store, sim, fills)
    finally:
        await store.close()


async def test_fills_made_while_the_connection_is_down_are_backfilled_and_reconciled_in_postgres(
    migrated_dsn: str, tmp_path: Path
) -> None:
    sim = KrakenSimulator(
        api_key=KEY, api_secret=SECRET, balances={"USD": "100000", "BTC": "2"}, rate_tier=None
    )
    async with sim, run_on_postgres(sim, migrated_dsn, tmp_path) as run:
        await place_bids(sim, api_key=KEY, api_secret=SECRET, prefix="pg-e2e")

        async def bids_known() -> bool:
            processed = await run.metric("galfriday_messages_processed_total", kind="exchange.order")
            return processed >= len(PRICES)

        await run.until(bids_known, "the bids reported")
        sim.chaos.refuse_connections(1.5)
        sim.chaos.drop_connections()
        sell_into(sim, PRICES[2:])  # while nobody is connected: only REST can tell

        async def recovered() -> bool:
            status, body = await run.health()
            return (
                status == 200
                and await run.metric("galfriday_gaps_backfilled_total") >= 1
                and body["last_reconciliation"]["kind"] == "reconnect"  # type: ignore[index]
            )

        await run.until(recovered, "backfilled, reconciled and healthy after the reconnect")
        assert await run.metric("galfriday_stream_reconnects_total") >= 1
        await run.terminate()
    output = "".join(run.log)
    assert run.status == 0, output
    assert "Traceback" not in output
    await assert_postgres_matches_the_simulator(migrated_dsn, sim, fills=4)

    with psycopg.connect(migrated_dsn) as connection:
        runs = connection.execute(
            "SELECT id, type, status, discrepancies_found, auto_corrected, manual_review_required, report "
            "FROM reconciliation_events ORDER BY started_at"
        ).fetchall()
        adjustments = connection.execute(
            "SELECT reconciliation_event_id, subject, kind, old_value, new_value, reason FROM position_adjustments"
        ).fetchall()
    kinds = [row[1] for row in runs]
    assert kinds[0] == "startup", runs
    assert "reconnect" in kinds, runs
    assert all(row[2] == "success" for row in runs), runs
    assert all(row[5] == 0 for row in runs), runs  # nothing needed a human
    assert all(isinstance(row[6], dict) for row in runs)  # every run keeps its report
    # the backfill imported every missed fill before reconciling: nothing was left to correct, so nothing was
    # adjusted (a correction would be a position_adjustments row, never a silent overwrite)
    reconnect_runs = [row for row in runs if row[1] == "reconnect"]
    assert all(row[3] == 0 for row in reconnect_runs), reconnect_runs
    assert sum(row[4] for row in runs) == len(adjustments)
    assert adjustments == [], adjustments

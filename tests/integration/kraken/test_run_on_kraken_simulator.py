"""`galfriday run` end to end on the Kraken simulator: a real process with the Kraken adapter (REST and the
WebSocket v2 stream) and a SQLite store. Orders on the account fill while it runs (also while its connection
is down); /health and /metrics say so; SIGTERM stops it with status 0; the store then holds exactly the
simulator's fills and order states."""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from kraken_sim_market import KEY, SECRET, simulator

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.testing.kraken_simulator import KrakenSimulator
from galfriday.testing.run_process import (
    GALFRIDAY,
    PRICES,
    SHUTDOWN_TIMEOUT,
    RunningGalfriday,
    assert_store_matches_the_simulator,
    galfriday_run,
    place_bids,
    run_config,
    sell_into,
)


def run_on_sqlite(sim: KrakenSimulator, tmp_path: Path) -> AbstractAsyncContextManager[RunningGalfriday]:
    """`galfriday run` on `sim` with an SQLite store in `tmp_path/run.db`."""
    config = tmp_path / "galfriday.toml"
    config.write_text(run_config(f'adapter = "sqlite"\ndsn = "{tmp_path / "run.db"}"'))
    return galfriday_run(sim, config, api_key=KEY, api_secret=SECRET)


async def place_our_bids(sim: KrakenSimulator) -> None:
    await place_bids(sim, api_key=KEY, api_secret=SECRET, prefix="run-e2e")


async def assert_sqlite_matches_the_simulator(database: Path, sim: KrakenSimulator, fills: int) -> None:
    store = SqliteStore(database)
    await store.start()
    try:
        await assert_store_matches_the_simulator(store, sim, fills)
    finally:
        await store.close()


def assert_clean_exit(run: RunningGalfriday) -> None:
    output = "".join(run.log)
    assert run.status == 0, output
    assert run.stop_seconds is not None
    assert run.stop_seconds < SHUTDOWN_TIMEOUT
    assert "shutdown complete" in output
    assert "Traceback" not in output


async def test_galfriday_run_tracks_kraken_fills_into_sqlite_and_stops_cleanly(tmp_path: Path) -> None:
    async with simulator() as sim, run_on_sqlite(sim, tmp_path) as run:
        await place_our_bids(sim)
        sell_into(sim, PRICES[1:])  # the lowest bid is never reached: it stays open

        async def applied() -> bool:
            return await run.metric("galfriday_messages_processed_total", kind="exchange.execution") >= 5

        await run.until(applied, "every fill applied")
        assert await run.metric("galfriday_journal_frames_dropped") == 0
        await run.terminate()
    assert_clean_exit(run)
    await assert_sqlite_matches_the_simulator(tmp_path / "run.db", sim, fills=5)

    # every fill came over the stream, so the raw journal alone rebuilds what the store holds
    replay = await asyncio.create_subprocess_exec(
        str(GALFRIDAY),
        "--config",
        str(tmp_path / "galfriday.toml"),
        "replay",
        "--json",
        env={k: v for k, v in os.environ.items() if not k.startswith("GALFRIDAY_")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(replay.communicate(), 120)
    assert replay.returncode == 0, (out + err).decode()
    document = json.loads(out)
    assert document["identical"] is True


async def test_fills_made_while_the_connection_is_down_are_backfilled_and_reconciled(tmp_path: Path) -> None:
    async with simulator() as sim, run_on_sqlite(sim, tmp_path) as run:
        await place_our_bids(sim)

        async def bids_known() -> bool:
            return await run.metric("galfriday_messages_processed_total", kind="exchange.order") >= len(
                PRICES
            )

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

        await run.until(recovered, "backfilled, reconciled and healthy after the reconnect", within=60)
        assert await run.metric("galfriday_stream_reconnects_total") >= 1
        await run.terminate()
    assert_clean_exit(run)
    await assert_sqlite_matches_the_simulator(tmp_path / "run.db", sim, fills=4)

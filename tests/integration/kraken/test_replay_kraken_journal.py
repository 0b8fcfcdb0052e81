"""`galfriday replay` on a real journal: a live session on the Kraken simulator (our orders filled by other
traders, some cancelled, duplicated, reordered and malformed frames on the way) journals every frame into an
SQLite store; replaying that journal alone rebuilds the same orders, fills, positions and balances. A store
changed behind the journal's back is reported, difference by difference, with exit status 1.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from kraken_journaled_session import SYMBOL, converge, journaled_session, place_ladder
from kraken_sim_market import simulator

from galfriday.adapters.kraken.stream import StreamSettings
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.domain.executions import OrderSide
from galfriday.domain.timestamps import EPOCH
from galfriday.replay_commands import replay_store

ORDERS_PER_SIDE = 6
TRADES = 150
SETTINGS = StreamSettings(silence_timeout=5.0, ping_interval=1.0)
"""Long enough that a busy machine does not cause a reconnect: this session's REST backfills only ever
follow a detected gap (the reordered frames), never a lost connection."""


async def live_session(path: Path) -> dict[str, int]:
    """Run the session into the SQLite file at `path`; what it did."""
    store = SqliteStore(path)
    await store.start()
    rng = random.Random(7)
    try:
        async with simulator(heartbeat_interval=0.2) as sim:
            async with journaled_session(sim, store, SETTINGS) as session:
                placed = await place_ladder(session, ORDERS_PER_SIDE, Decimal("0.0100"), prefix="replay")
                for step in range(TRADES):
                    if step == 20:
                        sim.chaos.duplicate_next(4)
                    elif step == 50:
                        sim.chaos.inject_malformed(endpoint="private")
                    elif step == 80:
                        sim.chaos.reorder_next(3)
                    elif step in (60, 100):  # the deepest orders, not reached by then
                        victim = placed[-1] if step == 60 else placed[-2]
                        await session.exchange.cancel_order(victim.exchange_order_id or "")
                    side = rng.choice([OrderSide.BUY, OrderSide.SELL])
                    limit = Decimal("29000") if side is OrderSide.SELL else Decimal("31000")
                    sim.market.trade(SYMBOL, side, limit, Decimal("0.0007"))
                    await asyncio.sleep(0.005)
                await converge(sim, store, within=60)
                reconnects = session.stream.counters.reconnects
            fills = len(sim.truth().executions)
        async with store.unit_of_work() as uow:
            journaled = len(await uow.journal.read(limit=1_000_000))
    finally:
        await store.close()
    return {"fills": fills, "journaled": journaled, "reconnects": reconnects}


@pytest.fixture(scope="module")
def session_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("replay") / "live.db"
    done = asyncio.run(live_session(path))
    assert done["reconnects"] == 0, "a reconnect would bring REST backfills the journal cannot explain"
    return path, done


def copy_of(session_db: tuple[Path, dict[str, int]], tmp_path: Path) -> Path:
    path = tmp_path / "copy.db"
    shutil.copy(session_db[0], path)
    return path


def invoke(db: Path, *args: str) -> Result:
    env = {"GALFRIDAY_STORE": "sqlite", "GALFRIDAY_STORE_DSN": str(db), "GALFRIDAY_CONFIG": None}
    return CliRunner().invoke(cli, ["replay", *args], env=env)


def test_the_journal_alone_rebuilds_the_live_state(session_db: tuple[Path, dict[str, int]]) -> None:
    async def replayed() -> object:
        store = SqliteStore(session_db[0])
        await store.start()
        try:
            return await replay_store(store)
        finally:
            await store.close()

    result = asyncio.run(replayed())
    assert result.differences == ()  # type: ignore[attr-defined]
    assert len(result.replayed.executions) == session_db[1]["fills"] > 50  # type: ignore[attr-defined]
    assert result.entries_replayed == session_db[1]["journaled"]  # type: ignore[attr-defined]
    assert result.frames_rejected >= 1  # type: ignore[attr-defined]  # the malformed frame


def test_galfriday_replay_json_says_identical_and_exits_0(session_db: tuple[Path, dict[str, int]]) -> None:
    result = invoke(session_db[0], "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["identical"] is True
    assert document["differences"] == []
    assert document["live"] == document["replayed"]
    assert document["live"]["executions"] == session_db[1]["fills"]
    assert document["entries"]["replayed"] == session_db[1]["journaled"]


def test_galfriday_replay_summary_says_identical(session_db: tuple[Path, dict[str, int]]) -> None:
    result = invoke(session_db[0])
    assert result.exit_code == 0, result.output
    assert "identical" in result.stdout


def corrupt(db: Path) -> dict[str, str]:
    """Change the store behind the journal's back: one fill deleted, one order's status and a balance altered."""
    with sqlite3.connect(db) as connection:
        exec_id, order_id = connection.execute(
            "SELECT exec_id, order_id FROM executions ORDER BY exec_id LIMIT 1"
        ).fetchone()
        connection.execute("DELETE FROM executions WHERE exec_id = ?", (exec_id,))
        other = connection.execute(
            "SELECT exchange_order_id FROM orders WHERE exchange_order_id != ? AND status = 'canceled' LIMIT 1",
            (order_id,),
        ).fetchone()[0]
        connection.execute("UPDATE orders SET status = 'filled' WHERE exchange_order_id = ?", (other,))
        connection.execute("UPDATE balances SET total = '123.45', available = '123.45' WHERE asset = 'USD'")
    return {"execution": exec_id, "order": other, "balance": "USD"}


def test_a_store_changed_behind_the_journal_is_reported_and_exits_1(
    session_db: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    db = copy_of(session_db, tmp_path)
    changed = corrupt(db)
    result = invoke(db, "--json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    found = {(d["kind"], d["key"], d["field"]) for d in document["differences"]}
    assert ("execution", changed["execution"], "unexpected") in found
    assert ("order", changed["order"], "status") in found
    assert ("balance", "USD", "total") in found
    assert document["identical"] is False


def test_the_summary_of_a_changed_store_lists_the_differences(
    session_db: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    db = copy_of(session_db, tmp_path)
    changed = corrupt(db)
    result = invoke(db)
    assert result.exit_code == 1
    assert "differences" in result.stdout
    assert changed["order"] in result.stdout


def test_since_replays_only_the_later_part_of_the_journal(session_db: tuple[Path, dict[str, int]]) -> None:
    async def middle() -> str:
        store = SqliteStore(session_db[0])
        await store.start()
        try:
            async with store.unit_of_work() as uow:
                entries = await uow.journal.read(limit=1_000_000)
                assert await uow.executions.since(EPOCH)
        finally:
            await store.close()
        return entries[len(entries) // 2].received_at.isoformat()

    since = asyncio.run(middle())
    result = invoke(session_db[0], "--json", "--since", since)
    document = json.loads(result.stdout)
    assert document["entries"]["skipped"]["before --since"] > 0
    assert document["scope"] == {"executions_since": since, "positions_compared": False}
    assert result.exit_code == 0, document["differences"][:5]


def test_source_kraken_replays_every_entry_of_a_kraken_session(
    session_db: tuple[Path, dict[str, int]],
) -> None:
    result = invoke(session_db[0], "--json", "--source", "kraken")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"]["replayed"] == session_db[1]["journaled"]


def test_since_without_a_time_zone_is_refused(session_db: tuple[Path, dict[str, int]]) -> None:
    result = invoke(session_db[0], "--since", "2026-11-24T13:00:00")
    assert result.exit_code == 2
    assert "time zone" in result.output

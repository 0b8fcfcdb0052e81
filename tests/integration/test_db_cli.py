"""`galfriday db`: migrate, status, rollback, new, retention and its history, on the embedded SQLite store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from galfriday.adapters.sql.migrations import migrations_dir, new_migration
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.testing import samples


def run(args: list[str], db_file: Path) -> str:
    env = {"GALFRIDAY_STORE": "sqlite", "GALFRIDAY_STORE_DSN": str(db_file), "GALFRIDAY_DISABLE_PLUGINS": ""}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def applied(db_file: Path) -> list[bool]:
    return [row["applied"] for row in json.loads(run(["db", "status", "--json"], db_file))]


def test_migrate_applies_every_migration_then_reports_up_to_date(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    assert "applied 0001" in run(["db", "migrate"], db_file)
    assert all(applied(db_file))
    assert "up to date" in run(["db", "migrate"], db_file)


def test_rollback_to_zero_undoes_everything_and_migrate_redoes_it(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    run(["db", "migrate"], db_file)
    assert "rolled back 0001" in run(["db", "rollback", "--to", "0"], db_file)
    assert not any(applied(db_file))
    run(["db", "migrate"], db_file)
    assert all(applied(db_file))


def test_the_memory_store_has_no_schema_to_migrate() -> None:
    result = CliRunner().invoke(cli, ["db", "status"], env={"GALFRIDAY_STORE": "memory"})
    assert result.exit_code != 0
    assert "store.adapter" in str(result.exception) or "store.adapter" in result.output


def test_new_creates_the_next_numbered_pair_of_files(tmp_path: Path) -> None:
    for existing in migrations_dir("sqlite").glob("*.sql"):
        (tmp_path / existing.name).write_text(existing.read_text())
    apply_file, rollback_file = new_migration("sqlite", "add-notes", tmp_path)
    highest = max(int(p.name.split(".")[0]) for p in migrations_dir("sqlite").glob("*.sql"))
    assert apply_file.name == f"{highest + 1:04d}.add-notes.sql"
    assert rollback_file.name == f"{highest + 1:04d}.add-notes.rollback.sql"
    assert "-- depends:" in apply_file.read_text()


async def seed_old_candles(db_file: Path, days_old: int, count: int) -> None:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days_old)
    store = SqliteStore(db_file)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            await uow.candles.upsert_many(
                [samples.candle(start + timedelta(minutes=m)) for m in range(count)]
            )
            await uow.commit()
    finally:
        await store.close()


def test_retention_dry_run_lists_expired_days_and_changes_nothing(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    asyncio.run(seed_old_candles(db_file, days_old=120, count=30))
    rows = [
        json.loads(line) for line in run(["db", "retention", "--dry-run", "--json"], db_file).splitlines()
    ]
    assert [(r["table"], r["symbol"], r["rows"], r["deleted"]) for r in rows] == [
        ("candles[60s]", "BTC/USD", 30, 0)
    ]
    again = [
        json.loads(line) for line in run(["db", "retention", "--dry-run", "--json"], db_file).splitlines()
    ]
    assert again == rows


def test_retention_archives_expired_candles_to_parquet_then_deletes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "g.db"
    monkeypatch.setenv("GALFRIDAY_RETENTION_ARCHIVE_DIR", str(tmp_path / "archive"))
    asyncio.run(seed_old_candles(db_file, days_old=120, count=30))
    asyncio.run(seed_old_candles(db_file, days_old=10, count=5))
    (row,) = [json.loads(line) for line in run(["db", "retention", "--json"], db_file).splitlines()]
    assert row["archived"] == row["deleted"] == 30
    assert pq.ParquetFile(row["archive"]).metadata.num_rows == 30
    assert "symbol=BTC-USD" in row["archive"]
    assert "nothing has expired" in run(["db", "retention"], db_file)


def test_retention_history_lists_each_run_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "g.db"
    monkeypatch.setenv("GALFRIDAY_RETENTION_ARCHIVE_DIR", str(tmp_path / "archive"))
    asyncio.run(seed_old_candles(db_file, days_old=120, count=30))
    (done,) = [json.loads(line) for line in run(["db", "retention", "--json"], db_file).splitlines()]
    asyncio.run(seed_old_candles(db_file, days_old=100, count=5))
    run(["db", "retention", "--json"], db_file)
    history = [json.loads(line) for line in run(["db", "retention-history", "--json"], db_file).splitlines()]
    assert [(h["table"], h["status"], h["archived"], h["deleted"]) for h in history] == [
        ("candles[60s]", "success", 5, 5),
        ("candles[60s]", "success", 30, 30),
    ]
    assert history[1]["archive"] == done["archive"]
    times = [datetime.fromisoformat(h[key]) for h in history for key in ("finished_at", "started_at")]
    assert times == sorted(times, reverse=True)
    assert len({h["id"] for h in history}) == 2
    (latest,) = [
        json.loads(line)
        for line in run(["db", "retention-history", "--json", "--limit", "1"], db_file).splitlines()
    ]
    assert latest == history[0]
    assert "retention history" in run(["db", "retention-history"], db_file)


def test_a_dry_run_leaves_the_retention_history_empty(tmp_path: Path) -> None:
    db_file = tmp_path / "g.db"
    asyncio.run(seed_old_candles(db_file, days_old=120, count=30))
    run(["db", "retention", "--dry-run"], db_file)
    assert run(["db", "retention-history", "--json"], db_file) == ""
    assert "no run recorded yet" in run(["db", "retention-history"], db_file)

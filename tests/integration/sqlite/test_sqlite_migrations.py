"""SQLite migrations: they create exactly the schema of docs/schema.md, roll back to nothing, and re-apply."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from galfriday.adapters.sql.migrations import migrate, migrations_dir, rollback, status
from galfriday.adapters.sqlite.repositories import OPEN_ORDER_FILTER

SCHEMA_DOC = Path(__file__).resolve().parents[3] / "docs" / "schema.md"
AMOUNT_COLUMNS = {
    "orders": {"quantity", "limit_price", "filled_quantity", "filled_cost", "closed_filled_quantity"},
    "executions": {"quantity", "price", "fee"},
    "positions": {"quantity", "average_cost", "realized_pnl"},
    "balances": {"total", "available"},
    "candles": {"open", "high", "low", "close", "volume"},
    "position_adjustments": {"old_value", "new_value"},
}
INSTANT_COLUMNS = {
    "orders": {"created_at", "updated_at"},
    "executions": {"ts"},
    "positions": {"updated_at"},
    "balances": {"updated_at"},
    "candles": {"open_time"},
    "model_versions": {"created_at"},
    "model_aliases": {"updated_at"},
    "model_alias_history": {"at"},
    "raw_journal": {"received_at"},
    "model_stage_history": {"at"},
    "experiments": {"created_at", "concluded_at"},
    "experiment_outcomes": {"observed_at"},
    "predictions": {"at"},
    "reconciliation_events": {"started_at", "finished_at"},
    "position_adjustments": {"created_at"},
}


def documented_tables() -> dict[str, set[str]]:
    """Table name -> column names, read from the table in docs/schema.md."""
    tables: dict[str, set[str]] = {}
    for line in SCHEMA_DOC.read_text().splitlines():
        match = re.match(r"\| `(\w+)` \| ([^|]+) \|", line)
        if match:
            columns = re.sub(r"\([^)]*\)", "", match.group(2))
            tables[match.group(1)] = {name.strip() for name in columns.split(",")}
    return tables


def galfriday_tables(db_file: Path) -> dict[str, dict[str, str]]:
    """Table -> column -> declared type, for every table that is neither SQLite's nor yoyo's."""
    with sqlite3.connect(db_file) as db:
        names = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith(("sqlite_", "_yoyo", "yoyo"))
        ]
        return {name: {row[1]: row[2] for row in db.execute(f"PRAGMA table_info({name})")} for name in names}


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "migrations.db"


def test_the_documented_schema_is_read_whole() -> None:
    assert len(documented_tables()) == 16


def test_migrating_creates_every_documented_table_with_its_columns(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    created = galfriday_tables(db_file)
    assert {name: set(columns) for name, columns in created.items()} == documented_tables()


def test_amounts_are_text_columns(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    created = galfriday_tables(db_file)
    for table, columns in AMOUNT_COLUMNS.items():
        assert {column: created[table][column] for column in columns} == dict.fromkeys(columns, "TEXT")


def test_instants_are_integer_columns(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    created = galfriday_tables(db_file)
    for table, columns in INSTANT_COLUMNS.items():
        assert {column: created[table][column] for column in columns} == dict.fromkeys(columns, "INTEGER")


def test_rolling_back_to_zero_leaves_no_galfriday_table(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    assert rollback("sqlite", str(db_file), 0) == ["0003.audit-records", "0001.initial"]
    assert galfriday_tables(db_file) == {}
    assert not any(state.applied for state in status("sqlite", str(db_file)))


def test_migrating_again_after_a_full_rollback_recreates_the_schema(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    first = galfriday_tables(db_file)
    rollback("sqlite", str(db_file), 0)
    assert migrate("sqlite", str(db_file)) == ["0001.initial", "0003.audit-records"]
    assert galfriday_tables(db_file) == first


def test_migrating_an_up_to_date_database_applies_nothing(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    assert migrate("sqlite", str(db_file)) == []


def test_every_migration_has_a_rollback() -> None:
    folder = migrations_dir("sqlite")
    applies = {
        p.name.removesuffix(".sql") for p in folder.glob("*.sql") if not p.name.endswith(".rollback.sql")
    }
    rollbacks = {p.name.removesuffix(".rollback.sql") for p in folder.glob("*.rollback.sql")}
    assert applies == rollbacks


def test_the_open_orders_query_uses_the_partial_index(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    with sqlite3.connect(db_file) as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT * FROM orders WHERE {OPEN_ORDER_FILTER} ORDER BY created_at, client_order_id"
        ).fetchall()
    assert any("orders_open" in row[-1] for row in plan), plan


AUDIT_TABLES = {"predictions", "model_stage_history"}
EXPERIMENT_COLUMNS_OF_0003 = {"model_name", "control_version", "candidate_version"}


def test_rolling_back_the_audit_records_restores_the_initial_schema(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    assert rollback("sqlite", str(db_file), 1) == ["0003.audit-records"]
    initial = {name: set(columns) for name, columns in galfriday_tables(db_file).items()}
    documented = documented_tables()
    expected = {name: columns for name, columns in documented.items() if name not in AUDIT_TABLES}
    expected["experiments"] = documented["experiments"] - EXPERIMENT_COLUMNS_OF_0003
    assert initial == expected


def test_the_audit_records_go_up_down_and_up_again_keeping_earlier_rows(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    with sqlite3.connect(db_file) as db:
        db.execute(
            "INSERT INTO reconciliation_events (id, type, status, started_at) VALUES ('r', 'manual', 'success', 0)"
        )
    rollback("sqlite", str(db_file), 1)
    assert migrate("sqlite", str(db_file)) == ["0003.audit-records"]
    with sqlite3.connect(db_file) as db:
        assert db.execute("SELECT id FROM reconciliation_events").fetchall() == [("r",)]
    assert {name: set(columns) for name, columns in galfriday_tables(db_file).items()} == documented_tables()


def test_predictions_of_a_model_version_are_read_through_an_index(db_file: Path) -> None:
    migrate("sqlite", str(db_file))
    with sqlite3.connect(db_file) as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM predictions WHERE model_name = 'a' AND version = 1 AND at >= 0 "
            "ORDER BY at, id"
        ).fetchall()
    assert any("predictions_model_version_at" in row[-1] for row in plan), plan

"""Postgres migrations go up, down to nothing, and up again; candles are partitioned by month."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from galfriday.adapters.sql.migrations import migrate, rollback, status

pytestmark = pytest.mark.postgres

ALL_MIGRATIONS = ["0001.initial", "0002.candle-partitions", "0003.audit-records"]
AUDIT_TABLES = {"predictions", "model_stage_history"}
EXPERIMENT_COLUMNS_OF_0003 = {"model_name", "control_version", "candidate_version"}

PARTITION_FUNCTIONS = ("galfriday_ensure_candle_partitions", "galfriday_drop_candle_partitions")


def tables(dsn: str) -> set[str]:
    """Every table in the public schema except yoyo's own bookkeeping."""
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%%yoyo%%'"
        ).fetchall()
    return {row[0] for row in rows}


def functions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'galfriday%%'").fetchall()
    return {row[0] for row in rows}


def candle_partitions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'candles'::regclass"
        ).fetchall()
    return {row[0] for row in rows}


def this_month_partition() -> str:
    return "candles_p" + datetime.now(UTC).strftime("%Y%m")


def test_migrate_creates_every_table_of_the_schema(empty_dsn: str, galfriday_tables: tuple[str, ...]) -> None:
    assert migrate("postgres", empty_dsn) == ALL_MIGRATIONS
    assert set(galfriday_tables) <= tables(empty_dsn)
    assert all(state.applied for state in status("postgres", empty_dsn))


def test_candles_have_a_default_partition_and_monthly_ones_around_now(empty_dsn: str) -> None:
    migrate("postgres", empty_dsn)
    partitions = candle_partitions(empty_dsn)
    assert {"candles_default", this_month_partition()} <= partitions
    assert set(PARTITION_FUNCTIONS) <= functions(empty_dsn)


def test_migrations_go_down_to_nothing_and_up_again(
    empty_dsn: str, galfriday_tables: tuple[str, ...]
) -> None:
    migrate("postgres", empty_dsn)
    assert rollback("postgres", empty_dsn, 0) == ALL_MIGRATIONS[::-1]
    assert tables(empty_dsn) == set()
    assert functions(empty_dsn) == set()
    assert not any(state.applied for state in status("postgres", empty_dsn))
    assert migrate("postgres", empty_dsn) == ALL_MIGRATIONS
    assert set(galfriday_tables) <= tables(empty_dsn)
    assert this_month_partition() in candle_partitions(empty_dsn)


def test_migrating_twice_applies_nothing_the_second_time(empty_dsn: str) -> None:
    migrate("postgres", empty_dsn)
    assert migrate("postgres", empty_dsn) == []


def test_rolling_back_the_partitions_keeps_every_candle_and_reapplying_moves_them_back(
    empty_dsn: str,
) -> None:
    migrate("postgres", empty_dsn)
    now = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(empty_dsn) as connection:
        connection.execute("INSERT INTO candles VALUES ('BTC/USD', 60, %s, 1, 2, 1, 2, 3, 4)", (now,))
    rollback("postgres", empty_dsn, 1)
    assert candle_partitions(empty_dsn) == {"candles_default"}
    assert functions(empty_dsn) == set()
    with psycopg.connect(empty_dsn) as connection:
        assert connection.execute("SELECT open_time FROM candles").fetchall() == [(now,)]
    migrate("postgres", empty_dsn)
    with psycopg.connect(empty_dsn) as connection:
        row = connection.execute("SELECT tableoid::regclass::text, open_time FROM candles").fetchone()
    assert row == (this_month_partition(), now)


def test_a_partition_made_for_a_month_with_rows_in_the_default_takes_them_over(migrated_dsn: str) -> None:
    january = datetime(2020, 1, 15, tzinfo=UTC)
    with psycopg.connect(migrated_dsn) as connection:
        connection.execute("INSERT INTO candles VALUES ('BTC/USD', 60, %s, 1, 2, 1, 2, 3, 4)", (january,))
        made = connection.execute("SELECT galfriday_ensure_candle_partitions(%s, %s)", (january, january))
        assert made.fetchall() == [("candles_p202001",)]
        row = connection.execute("SELECT tableoid::regclass::text FROM candles").fetchone()
    assert row == ("candles_p202001",)


def test_partitions_follow_utc_months_whatever_the_session_time_zone(migrated_dsn: str) -> None:
    with psycopg.connect(migrated_dsn) as connection:
        connection.execute("SET TIME ZONE 'Pacific/Kiritimati'")
        made = connection.execute(
            "SELECT galfriday_ensure_candle_partitions('2019-12-31 23:30+00', '2019-12-31 23:30+00')"
        ).fetchall()
        connection.execute("SET TIME ZONE 'UTC'")
        bound = connection.execute(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'candles_p201912'"
        ).fetchone()
    assert made == [("candles_p201912",)]
    assert bound == ("FOR VALUES FROM ('2019-12-01 00:00:00+00') TO ('2020-01-01 00:00:00+00')",)


def columns(dsn: str, table: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
        ).fetchall()
    return {row[0] for row in rows}


def test_rolling_back_the_audit_records_leaves_the_schema_of_0002(
    empty_dsn: str, galfriday_tables: tuple[str, ...]
) -> None:
    migrate("postgres", empty_dsn)
    assert rollback("postgres", empty_dsn, 2) == ["0003.audit-records"]
    assert tables(empty_dsn) & AUDIT_TABLES == set()
    assert set(galfriday_tables) - AUDIT_TABLES <= tables(empty_dsn)
    assert columns(empty_dsn, "experiments") & EXPERIMENT_COLUMNS_OF_0003 == set()


def test_the_audit_records_go_up_down_and_up_again_keeping_earlier_rows(empty_dsn: str) -> None:
    migrate("postgres", empty_dsn)
    with psycopg.connect(empty_dsn) as connection:
        connection.execute(
            "INSERT INTO reconciliation_events (id, type, status, started_at) VALUES ('r', 'manual', 'success', now())"
        )
    rollback("postgres", empty_dsn, 2)
    assert migrate("postgres", empty_dsn) == ["0003.audit-records"]
    with psycopg.connect(empty_dsn) as connection:
        assert connection.execute("SELECT id FROM reconciliation_events").fetchall() == [("r",)]
    assert tables(empty_dsn) >= AUDIT_TABLES
    assert columns(empty_dsn, "experiments") >= EXPERIMENT_COLUMNS_OF_0003

"""A reconciliation run on Postgres: its reconciliation_events row and position_adjustments rows, read back with
plain SQL; a failed run leaves only its own row."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services"))

from reconciliation_world import (
    T0,
    FlakyAccount,
    drift_balance,
    drift_position,
    mirror,
    new_exchange,
    populate,
    service,
)

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.postgres.store import PostgresStore
from galfriday.domain.tolerance import Tolerance, TolerancePolicy

pytestmark = pytest.mark.postgres
D = Decimal


async def test_a_run_appends_its_event_row_and_one_adjustment_row_per_correction(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    clock = ManualClock(T0)
    exchange = new_exchange(clock)
    await populate(exchange, clock)
    await mirror(exchange, pg_store)
    await drift_balance(pg_store, "BTC", D("0.00001"))  # within the default tolerance: corrected
    await drift_position(pg_store, "ETH/USD", D(5))  # far beyond it: left for review
    policy = TolerancePolicy(default=Tolerance(max_absolute=D("0.001")))
    report = await service(exchange, pg_store, clock, policy=policy).run()
    assert report.run is not None

    with psycopg.connect(migrated_module_dsn) as connection:
        event = connection.execute(
            "SELECT type, status, discrepancies_found, auto_corrected, manual_review_required, report "
            "FROM reconciliation_events WHERE id = %s",
            (report.run.id,),
        ).fetchone()
        adjustments = connection.execute(
            "SELECT subject, kind, old_value, new_value, reason FROM position_adjustments "
            "WHERE reconciliation_event_id = %s",
            (report.run.id,),
        ).fetchall()
    assert event is not None
    assert event[:5] == ("manual", "success", 2, 1, 1)
    assert event[5] == json.loads(json.dumps(report.run.report))
    assert [d["subject"] for d in event[5]["discrepancies"]] == ["balance:BTC", "position:ETH/USD"]
    [(subject, kind, old, new, reason)] = adjustments
    assert (subject, kind) == ("balance:BTC", "balance_mismatch")
    assert new - old == D("-0.00001")
    assert "within tolerance of BTC" in reason


async def test_a_failed_run_appends_only_its_event_row(
    pg_store: PostgresStore, migrated_module_dsn: str
) -> None:
    clock = ManualClock(T0)
    exchange = new_exchange(clock)
    await populate(exchange, clock)
    await mirror(exchange, pg_store)
    await drift_balance(pg_store, "BTC", D("0.00001"))
    report = await service(FlakyAccount(exchange, failures=5), pg_store, clock, retries=1).run()
    assert report.run is not None
    with psycopg.connect(migrated_module_dsn) as connection:
        events = connection.execute("SELECT id, status, auto_corrected FROM reconciliation_events").fetchall()
        count = connection.execute("SELECT count(*) FROM position_adjustments").fetchone()
    assert events == [(report.run.id, "failed", 0)]
    assert count == (0,)

"""`galfriday reconcile` through the real CLI: the memory exchange (its default balances) against an SQLite store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner, Result

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.domain.reconciliation_audit import ReconciliationRun

LOOSE = """
[reconciliation.tolerances]
default = { absolute = "1000000" }
"""


def invoke(args: list[str], tmp_path: Path, config: str = "") -> Result:
    env = {
        "GALFRIDAY_STORE": "sqlite",
        "GALFRIDAY_STORE_DSN": str(tmp_path / "g.db"),
        "GALFRIDAY_DISABLE_PLUGINS": "",
    }
    if config:
        (tmp_path / "galfriday.toml").write_text(config)
        env["GALFRIDAY_CONFIG"] = str(tmp_path / "galfriday.toml")
    return CliRunner().invoke(cli, args, env=env)


def recorded_runs(tmp_path: Path) -> list[ReconciliationRun]:
    async def read() -> list[ReconciliationRun]:
        store = SqliteStore(tmp_path / "g.db")
        await store.start()
        try:
            async with store.unit_of_work() as uow:
                return await uow.reconciliations.recent_runs()
        finally:
            await store.close()

    return asyncio.run(read())


def test_reconcile_json_lists_what_the_exchange_holds_and_the_empty_store_lacks(tmp_path: Path) -> None:
    result = invoke(["reconcile", "--json"], tmp_path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "success"
    assert {d["subject"] for d in report["discrepancies"]} == {"balance:USD", "balance:BTC", "balance:ETH"}
    assert report["manual_review_required"] == 3  # from nothing to something is 100% off
    [run] = recorded_runs(tmp_path)
    assert run.id == report["run_id"]
    assert run.report == report


def test_reconcile_corrects_within_the_configured_tolerance_and_a_second_run_finds_nothing(
    tmp_path: Path,
) -> None:
    first = json.loads(invoke(["reconcile", "--json"], tmp_path, LOOSE).stdout)
    assert (first["auto_corrected"], first["manual_review_required"]) == (3, 0)
    second = json.loads(invoke(["reconcile", "--json"], tmp_path, LOOSE).stdout)
    assert second["discrepancies"] == []


def test_reconcile_dry_run_records_nothing(tmp_path: Path) -> None:
    result = invoke(["reconcile", "--dry-run", "--json"], tmp_path, LOOSE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
    assert recorded_runs(tmp_path) == []


def test_reconcile_prints_a_table_by_default(tmp_path: Path) -> None:
    result = invoke(["reconcile"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "balance_mismatch" in result.stdout
    assert "manual review" in result.stdout


def test_reconcile_says_when_store_and_exchange_agree(tmp_path: Path) -> None:
    invoke(["reconcile"], tmp_path, LOOSE)
    result = invoke(["reconcile"], tmp_path, LOOSE)
    assert "store and exchange agree" in result.output

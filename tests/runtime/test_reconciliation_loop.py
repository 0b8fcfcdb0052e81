"""Reconciliation in the runtime: a start-up run, a run after a stream recovery, discrepancies counted by kind."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from runtime_fixtures import memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.app import App
from galfriday.domain.balances import Balance
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.reconcile_command import reconciliation_service
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.reconciliation_loop import ReconciliationLoop
from galfriday.services.trading_gate import TradingGate


async def test_the_first_run_is_the_startup_run_and_a_recovery_request_brings_a_reconnect_run() -> None:
    async with App.from_config(memory_config()) as app:
        loop = ReconciliationLoop(reconciliation_service(app, TradingGate()), metrics=RuntimeMetrics())
        running = asyncio.create_task(loop.run())
        await eventually(lambda: len(loop.reports) == 1, "the start-up run")
        loop.after_recovery(app.clock.now())
        await eventually(lambda: len(loop.reports) == 2, "the run after the recovery")
        await loop.stop()
        await asyncio.wait_for(running, 5)
    assert [r.kind for r in loop.reports] == [RunKind.STARTUP, RunKind.RECONNECT]


async def test_the_startup_run_waits_until_ready() -> None:
    ready = asyncio.Event()
    async with App.from_config(memory_config()) as app:
        loop = ReconciliationLoop(
            reconciliation_service(app, TradingGate()), metrics=RuntimeMetrics(), ready=ready.wait
        )
        running = asyncio.create_task(loop.run())
        await asyncio.sleep(0.05)
        assert loop.reports == []
        ready.set()
        await eventually(lambda: len(loop.reports) == 1, "the start-up run")
        await loop.stop()
        await asyncio.wait_for(running, 5)


async def test_a_balance_the_store_has_wrong_is_counted_as_a_discrepancy_of_its_kind() -> None:
    async with App.from_config(memory_config()) as app:
        async with app.store.unit_of_work() as uow:
            await uow.balances.save(Balance("BTC", Decimal("5"), Decimal("5"), app.clock.now()))
            await uow.commit()
        metrics = RuntimeMetrics()
        loop = ReconciliationLoop(reconciliation_service(app, TradingGate()), metrics=metrics)
        running = asyncio.create_task(loop.run())
        await eventually(lambda: len(loop.reports) == 1, "the start-up run")
        await loop.stop()
        await asyncio.wait_for(running, 5)
    found = metrics.registry.get_sample_value("galfriday_discrepancies_total", {"kind": "balance_mismatch"})
    assert found is not None
    assert found >= 1
    assert (
        metrics.registry.get_sample_value(
            "galfriday_job_runs_total", {"job": "reconciliation", "outcome": loop.reports[0].status.value}
        )
        == 1
    )


async def test_the_runtime_reconciles_at_start_after_the_backfill() -> None:
    async with running_runtime() as runtime:
        await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")
        assert runtime.recovery.reports, "the backfill ran first"
        assert runtime.reconciliation.reports[0].kind is RunKind.STARTUP
        assert runtime.trading_gate.is_open


async def test_stop_while_waiting_to_be_ready_ends_the_loop_without_a_run() -> None:
    async with App.from_config(memory_config()) as app:
        never = asyncio.Event()
        loop = ReconciliationLoop(
            reconciliation_service(app, TradingGate()), metrics=RuntimeMetrics(), ready=never.wait
        )
        running = asyncio.create_task(loop.run())
        await asyncio.sleep(0.02)
        await loop.stop()
        await asyncio.wait_for(running, 5)
    assert loop.reports == []

"""`POST /reconcile` over real HTTP on loopback: the running process reconciles now, and a clean run lifts a halt."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import aiohttp
from click.testing import CliRunner, Result
from runtime_fixtures import memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.cli import cli
from galfriday.config import Config, ReconciliationConfig
from galfriday.domain.balances import Balance
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.runtime.process import Runtime
from galfriday.services.reconciliation import HALT_KEY


def config() -> Config:
    """Memory adapters; a run acts on its first look (no confirmation delay)."""
    return memory_config().with_overrides(reconciliation=ReconciliationConfig(confirm_after_seconds=0))


async def post(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.post(url) as response:
        return response.status, json.loads(await response.text())


async def started(runtime: Runtime) -> None:
    await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")


async def store_btc(runtime: Runtime, total: Decimal) -> None:
    async with runtime.app.store.unit_of_work() as uow:
        await uow.balances.save(Balance("BTC", total, total, runtime.app.clock.now()))
        await uow.commit()


async def exchange_btc(runtime: Runtime) -> Decimal:
    balances: list[Balance] = await runtime.app.exchange.balances()
    return next(b.total for b in balances if b.asset == "BTC")


async def test_post_reconcile_runs_a_manual_reconciliation_and_answers_its_report() -> None:
    async with running_runtime(config()) as runtime:
        await started(runtime)
        status, body = await post(f"{runtime.http.url}/reconcile")
        assert runtime.reconciliation.reports[-1].kind is RunKind.MANUAL
    assert status == 200
    assert body["kind"] == "manual"
    assert body["status"] == "success"
    assert body["discrepancies_found"] == 0


async def test_a_halt_for_review_is_lifted_by_a_clean_run_asked_for_over_http() -> None:
    async with running_runtime(config()) as runtime:
        await started(runtime)
        right = await exchange_btc(runtime)
        await store_btc(runtime, right + Decimal("5"))
        status, body = await post(f"{runtime.http.url}/reconcile")
        assert status == 200
        assert body["halted"] is True
        assert body["manual_review_required"] == 1
        assert HALT_KEY in runtime.trading_gate.reasons

        await store_btc(runtime, right)  # the operator puts it right
        status, body = await post(f"{runtime.http.url}/reconcile")
        assert status == 200
        assert body["discrepancies_found"] == 0
        assert body["halted"] is False
        assert runtime.trading_gate.is_open


async def test_post_reconcile_is_409_while_a_run_is_under_way() -> None:
    async with running_runtime(config()) as runtime:
        await started(runtime)
        gate = asyncio.Event()
        exchange = runtime.app.exchange
        read_balances = exchange.balances

        async def slow_balances() -> Any:
            await gate.wait()
            return await read_balances()

        exchange.balances = slow_balances
        first = asyncio.create_task(post(f"{runtime.http.url}/reconcile"))
        await eventually(lambda: runtime.reconciliation.busy, "the first run under way")
        status, body = await post(f"{runtime.http.url}/reconcile")
        gate.set()
        first_status, _ = await first
    assert status == 409
    assert "under way" in body["error"]
    assert first_status == 200


async def test_post_reconcile_is_503_while_stopping() -> None:
    async with running_runtime(config()) as runtime:
        await started(runtime)
        url = f"{runtime.http.url}/reconcile"
        runtime._stopping = True  # the first thing stop() does, before it closes the endpoint
        status, body = await post(url)
        runtime._stopping = False
    assert status == 503
    assert "stopping" in body["error"]


async def galfriday_reconcile(*args: str) -> Result:
    """The real CLI, in a thread of its own (it runs its own event loop) while the runtime serves this one."""
    return await asyncio.to_thread(CliRunner().invoke, cli, ["reconcile", *args])


async def test_galfriday_reconcile_url_asks_the_running_process_and_lifts_its_halt() -> None:
    async with running_runtime(config()) as runtime:
        await started(runtime)
        right = await exchange_btc(runtime)
        await store_btc(runtime, right + Decimal("5"))
        halted = await galfriday_reconcile("--url", runtime.http.url, "--json")
        assert halted.exit_code == 0, halted.output
        assert json.loads(halted.stdout)["halted"] is True
        assert HALT_KEY in runtime.trading_gate.reasons

        await store_btc(runtime, right)
        lifted = await galfriday_reconcile("--url", runtime.http.url)
        assert runtime.reconciliation.reports[-1].kind is RunKind.MANUAL
        assert runtime.trading_gate.is_open
    assert lifted.exit_code == 0, lifted.output
    assert "reconciliation success" in lifted.stdout
    assert "0 found" in lifted.stdout


async def test_galfriday_reconcile_url_exits_1_when_nothing_answers() -> None:
    async with running_runtime(config()) as runtime:
        url = runtime.http.url
    result = await galfriday_reconcile("--url", url)
    assert result.exit_code == 1
    assert f"cannot ask {url} to reconcile" in result.output


async def test_galfriday_reconcile_refuses_dry_run_with_url() -> None:
    result = await galfriday_reconcile("--url", "http://127.0.0.1:9", "--dry-run")
    assert result.exit_code == 2
    assert "cannot be combined with --url" in result.output

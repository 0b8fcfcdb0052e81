"""`galfriday reconcile [--dry-run] [--json] [--url URL]`: reconcile the configured store with the configured
exchange now, or (`--url`) ask a running `galfriday run` to (its `POST /reconcile`; a clean run lifts its halt).

Also the composition of the reconciliation service from configuration (`reconciliation_service`), for whatever
runs it on a schedule. The report renders as a rich table or as one JSON document. The exit status is 0 when the
run completed (discrepancies left for review included: they are in the report and were alerted), 1 when it
failed (the exchange could not be read, or the store refused the run): nothing was changed then; with `--url`
also when the process could not be reached or refused (a run already under way, stopping).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import click
from rich.console import Console
from rich.table import Table

from galfriday.app import App
from galfriday.cli_context import CliContext
from galfriday.config import Config, ReconciliationConfig
from galfriday.domain.reconciliation_audit import RunKind, RunStatus
from galfriday.services.reconciliation import (
    ReconciliationReport,
    ReconciliationService,
    ReconciliationSettings,
)
from galfriday.services.trading_gate import TradingGate

MIN_WIDTH = 160
"""Columns the table is laid out in at least, so that kinds and subjects are never folded."""
KINDS = ("notifier", "store", "exchange")
"""The adapters a reconciliation needs."""


def reconciliation_settings(section: ReconciliationConfig) -> ReconciliationSettings:
    """The service's settings from the `[reconciliation]` section."""
    return ReconciliationSettings(
        policy=section.policy(),
        interval_seconds=section.interval_seconds,
        wait_at_startup=section.wait_at_startup,
        retries=section.retries,
        retry_backoff_seconds=section.retry_backoff_seconds,
        lookback_seconds=section.lookback_seconds,
        confirm_after_seconds=section.confirm_after_seconds,
    )


def reconciliation_service(
    app: App, gate: TradingGate | None = None, *, settle: Callable[[], Awaitable[None]] | None = None
) -> ReconciliationService:
    """The reconciliation service over a started app's exchange, store, notifier and clock. `settle`: see
    `ReconciliationService` (the runtime passes its order intake's barrier)."""
    return ReconciliationService(
        app.exchange,
        app.store,
        app.notifier,
        app.clock,
        gate or TradingGate(),
        reconciliation_settings(app.config.reconciliation),
        settle=settle,
    )


async def _reconcile(config: Config, *, dry_run: bool) -> ReconciliationReport:
    async with App.from_config(config, kinds=KINDS) as app:
        return await reconciliation_service(app).run(RunKind.MANUAL, dry_run=dry_run)


async def _reconcile_remotely(url: str) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of a running process's `POST /reconcile`."""
    async with aiohttp.ClientSession() as session, session.post(f"{url.rstrip('/')}/reconcile") as response:
        body = await response.json(content_type=None)
        return response.status, body if isinstance(body, dict) else {"error": str(body)}


def _ask_running_process(url: str, as_json: bool) -> None:
    try:
        status, body = asyncio.run(_reconcile_remotely(url))
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        click.echo(f"error: cannot ask {url} to reconcile ({type(exc).__name__}: {exc})", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(body, indent=2))
    elif "status" in body:
        click.echo(
            f"reconciliation {body['status']} (run {body.get('run_id') or '-'}): "
            f"{body.get('discrepancies_found')} found, {body.get('auto_corrected')} corrected, "
            f"{body.get('manual_review_required')} for review; trading "
            f"{'halted' if body.get('halted') else 'not halted by this run'}"
        )
        for item in body.get("discrepancies") or []:
            click.echo(f"  {item['kind']} {item['subject']}: {item['action']} ({item['reason']})")
    if status != 200:
        click.echo(f"error: {url} answered {status}: {body.get('error')}", err=True)
        sys.exit(1)


def report_table(report: ReconciliationReport) -> Table:
    """The report as a table: one row per discrepancy, the run in the title."""
    run = "dry run, nothing changed" if report.dry_run else f"run {report.run.id if report.run else '-'}"
    title = (
        f"reconciliation {report.status.value} ({run}): {len(report.outcomes)} found, "
        f"{len(report.corrected)} corrected, {len(report.manual_review)} for review, {len(report.settled)} settled"
    )
    table = Table(title=title)
    for column in ("kind", "subject", "ours", "reference", "off by", "relative", "action", "done", "why"):
        table.add_column(column, overflow="fold")
    for outcome in report.outcomes:
        d = outcome.decision.discrepancy
        table.add_row(
            d.kind.value,
            d.subject,
            "-" if d.internal is None else str(d.internal),
            "-" if d.reference is None else str(d.reference),
            str(d.absolute),
            f"{d.relative:.6f}",
            outcome.decision.action.value.replace("_", " "),
            "yes" if outcome.applied else "no",
            outcome.error or f"{d.detail}; {outcome.decision.reason}",
        )
    return table


@click.command("reconcile")
@click.option("--dry-run", is_flag=True, help="Report what would be corrected; change and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.option(
    "--url",
    default=None,
    help="Ask the running process serving this address (its [runtime] http_host/http_port, such as "
    "http://127.0.0.1:8080) to reconcile now, instead of reconciling from here; a clean run lifts its halt.",
)
@click.pass_obj
def reconcile(obj: CliContext, dry_run: bool, as_json: bool, url: str | None) -> None:
    """Reconcile the store with the exchange now: balances, orders, fills and positions."""
    if url is not None:
        if dry_run:
            raise click.UsageError("--dry-run reconciles from here; it cannot be combined with --url")
        _ask_running_process(url, as_json)
        return
    report = asyncio.run(_reconcile(obj.config(), dry_run=dry_run))
    if as_json:
        click.echo(json.dumps(report.document(), indent=2))
    else:
        console = Console(width=max(MIN_WIDTH, Console().width))
        if report.outcomes:
            console.print(report_table(report))
        else:
            console.print(f"reconciliation {report.status.value}: store and exchange agree")
        if report.error:
            console.print(f"[bold red]error:[/] {report.error}")
    if report.status is RunStatus.FAILED:
        sys.exit(1)

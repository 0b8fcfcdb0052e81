"""`galfriday db ...`: migrations, retention and its history, on the configured store (SQLite or Postgres)."""

from __future__ import annotations

import asyncio
import json

import click
from rich.console import Console
from rich.table import Table

from galfriday.adapters.sql import migrations
from galfriday.adapters.sqlite.plugin import DEFAULT_PATH as DEFAULT_SQLITE_PATH
from galfriday.app import App
from galfriday.cli_context import CliContext
from galfriday.config import Config
from galfriday.domain.retention import RetentionOutcome, RetentionRun
from galfriday.errors import ConfigurationError
from galfriday.ports.stores import Store
from galfriday.services.retention import RetentionService


def store_target(config: Config) -> tuple[str, str]:
    """The configured store's backend and DSN; the memory store has no schema to migrate."""
    backend = config.store.adapter
    if backend not in migrations.BACKENDS:
        raise ConfigurationError(
            "store.adapter",
            backend,
            f"a store with a schema ({', '.join(migrations.BACKENDS)}); set GALFRIDAY_STORE",
        )
    if config.store.dsn is not None:
        return backend, config.store.dsn.reveal()
    if backend == "sqlite":
        return backend, DEFAULT_SQLITE_PATH
    raise ConfigurationError("store.dsn", None, "a postgresql:// URL; set GALFRIDAY_STORE_DSN")


@click.group("db")
def db() -> None:
    """Schema migrations of the configured store."""


@db.command()
@click.pass_obj
def migrate(obj: CliContext) -> None:
    """Apply every pending migration."""
    backend, dsn = store_target(obj.config())
    applied = migrations.migrate(backend, dsn)
    click.echo("\n".join(f"applied {m}" for m in applied) if applied else f"{backend}: up to date")


@db.command()
@click.option("--to", "to", type=int, required=True, help="Keep migrations up to this number; 0 removes all.")
@click.pass_obj
def rollback(obj: CliContext, to: int) -> None:
    """Roll back every migration numbered above --to."""
    backend, dsn = store_target(obj.config())
    undone = migrations.rollback(backend, dsn, to)
    click.echo("\n".join(f"rolled back {m}" for m in undone) if undone else f"{backend}: nothing above {to}")


@db.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.pass_obj
def status(obj: CliContext, as_json: bool) -> None:
    """Show every migration and whether it is applied."""
    backend, dsn = store_target(obj.config())
    states = migrations.status(backend, dsn)
    if as_json:
        click.echo(
            json.dumps([{"id": s.id, "number": s.number, "applied": s.applied} for s in states], indent=2)
        )
        return
    table = Table(title=f"{backend} migrations")
    table.add_column("number")
    table.add_column("id")
    table.add_column("applied")
    for state in states:
        table.add_row(str(state.number), state.id, "yes" if state.applied else "no")
    Console().print(table)


@db.command()
@click.argument("name")
@click.option(
    "--backend",
    type=click.Choice([*migrations.BACKENDS, "both"]),
    default="both",
    show_default=True,
    help="Which backend's folder gets the new migration.",
)
def new(name: str, backend: str) -> None:
    """Create the next numbered migration (apply and rollback files) in the source tree."""
    for chosen in migrations.BACKENDS if backend == "both" else (backend,):
        for path in migrations.new_migration(chosen, name):
            click.echo(f"created {path}")


@db.command()
@click.option("--dry-run", is_flag=True, help="Show what would be archived and deleted; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per action instead of a table.")
@click.pass_obj
def retention(obj: CliContext, dry_run: bool, as_json: bool) -> None:
    """Archive expired rows (per the [retention] policies), verify the archive, then delete them."""
    outcomes = asyncio.run(_run_retention(obj.config(), dry_run=dry_run))
    rows = [
        {
            "table": o.action.policy.label,
            "symbol": o.action.symbol,
            "day": o.action.day.isoformat(),
            "rows": o.action.rows,
            "archived": o.archived_rows,
            "deleted": o.deleted_rows,
            "archive": o.archive_path,
        }
        for o in outcomes
    ]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    title = "retention (dry run: nothing changed)" if dry_run else "retention"
    table = Table(title=title)
    for column in ("table", "symbol", "day", "rows", "archived", "deleted", "archive"):
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if value is None else str(value) for value in row.values()))
    Console().print(table if rows else f"{title}: nothing has expired")


async def _run_retention(config: Config, *, dry_run: bool) -> list[RetentionOutcome]:
    async with App.from_config(config, kinds=("store", "archive")) as app:
        service = RetentionService(app.store, app.archive, app.clock, config.retention.policies)
        return await service.run(dry_run=dry_run)


@db.command("retention-history")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per run instead of a table.")
@click.pass_obj
def retention_history(obj: CliContext, limit: int, as_json: bool) -> None:
    """List the latest recorded retention runs, newest first (one per policy a run acted on)."""
    runs = asyncio.run(_recent_retention_runs(obj.config(), limit))
    if as_json:
        for run in runs:
            click.echo(json.dumps(_run_document(run)))
        return
    table = Table(title="retention history (newest first, UTC)")
    for column in ("started", "table", "status", "cutoff", "archived", "deleted", "took", "archive", "id"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            run.table_name,
            run.status.value,
            f"{run.cutoff:%Y-%m-%d %H:%M}",
            str(run.archived_rows),
            str(run.deleted_rows),
            f"{(run.finished_at - run.started_at).total_seconds():.3f}s",
            run.archive_path or "-",
            run.id,
        )
    Console().print(table if runs else "retention history: no run recorded yet")


def _run_document(run: RetentionRun) -> dict[str, object]:
    """A recorded run as JSON, keyed like `db retention --json`; instants in ISO 8601 UTC."""
    return {
        "id": run.id,
        "table": run.table_name,
        "status": run.status.value,
        "cutoff": run.cutoff.isoformat(),
        "archived": run.archived_rows,
        "deleted": run.deleted_rows,
        "archive": run.archive_path,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
    }


async def _recent_retention_runs(config: Config, limit: int) -> list[RetentionRun]:
    async with App.from_config(config, kinds=("store",)) as app:
        store: Store = app.store
        async with store.unit_of_work() as uow:
            return await uow.retention_runs.recent(limit)

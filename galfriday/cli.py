"""The `galfriday` command line (click + rich). Plugins add commands through `galfriday_register_commands`."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

import attrs
import click
from rich.console import Console
from rich.table import Table

from galfriday import __version__
from galfriday.cli_context import CliContext
from galfriday.config import ENVIRONMENT_VARIABLES, Secret
from galfriday.db_commands import db
from galfriday.drift_commands import drift
from galfriday.errors import GalfridayError
from galfriday.experiments_commands import experiments
from galfriday.models_commands import models
from galfriday.plugins import build_plugin_manager, collect_adapters
from galfriday.reconcile_command import reconcile
from galfriday.replay_commands import replay
from galfriday.run_command import run
from galfriday.simulator_cli import simulator

console = Console(stderr=True)


@click.group()
@click.version_option(__version__, prog_name="galfriday")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar="GALFRIDAY_CONFIG",
    help="TOML configuration file (default: $GALFRIDAY_CONFIG, else built-in defaults).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """galfriday: exchange order updates, persistence, reconciliation and model lifecycle."""
    ctx.obj = CliContext(config_path)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def plugins(as_json: bool) -> None:
    """List every registered adapter: kind, name and the distribution that provides it."""
    registry = collect_adapters(build_plugin_manager())
    rows = [
        {"kind": r.kind, "name": r.name, "plugin": r.plugin, "distribution": r.distribution}
        for r in registry.all()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="galfriday adapters")
    for column in ("kind", "name", "plugin", "distribution"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["kind"], row["name"], row["plugin"], row["distribution"])
    Console().print(table)


def _redacted(value: Any) -> Any:
    if isinstance(value, Secret):
        return "********"
    if attrs.has(type(value)):
        return {f.name: _redacted(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


@cli.command("config")
@click.option("--env", "list_env", is_flag=True, help="List the environment variables galfriday reads.")
@click.option(
    "--reference", is_flag=True, help="Print the configuration reference (docs/configuration.md) as Markdown."
)
@click.pass_obj
def show_config(obj: CliContext, list_env: bool, reference: bool) -> None:
    """Print the effective configuration (secrets redacted) as JSON."""
    if reference:
        from galfriday.config_reference import reference_markdown

        click.echo(reference_markdown(), nl=False)
        return
    if list_env:
        for name, key in ENVIRONMENT_VARIABLES.items():
            click.echo(f"{name}\t{key}")
        return
    click.echo(json.dumps(_redacted(obj.config()), indent=2, default=str))


@cli.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the SQLite file, model artifacts and log go (default: a new temporary directory).",
)
@click.pass_obj
def demo(obj: CliContext, workdir: Path | None) -> None:
    """The main job end to end on a Kraken simulator: orders, fills, a disconnect, reconciliation, an A/B
    experiment. Uses the configured store (GALFRIDAY_STORE, GALFRIDAY_STORE_DSN); a fresh SQLite file by default.
    Exit status 1 if a check against the simulator's truth fails."""
    from galfriday.demo import run_demo

    if not asyncio.run(run_demo(obj.config(), Console(width=max(140, Console().width)), workdir)):
        raise SystemExit(1)


cli.add_command(db)
cli.add_command(drift)
cli.add_command(run)
cli.add_command(simulator)
cli.add_command(experiments)
cli.add_command(models)
cli.add_command(reconcile)
cli.add_command(replay)


def build_cli() -> click.Group:
    """The CLI with every plugin's commands added."""
    build_plugin_manager().hook.galfriday_register_commands(cli=cli)
    return cli


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        build_cli()(standalone_mode=False)
    except GalfridayError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)

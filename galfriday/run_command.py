"""`galfriday run --config FILE`: the long-running process, until SIGINT or SIGTERM.

Exit status 0 after a clean shutdown (every accepted event applied, nothing cancelled, adapters closed within
`[runtime] shutdown_timeout_seconds`), 1 otherwise; configuration errors exit 2 like every command.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from galfriday.cli_context import CliContext
from galfriday.config import Config, load_config
from galfriday.runtime.process import ShutdownReport, serve
from galfriday.runtime.signals import stop_on_signals


@click.command("run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML configuration file (default: the one given to galfriday, else $GALFRIDAY_CONFIG).",
)
@click.pass_obj
def run(obj: CliContext, config_path: Path | None) -> None:
    """Run galfriday until SIGINT or SIGTERM.

    The exchange stream into the store (with REST backfill after any loss), reconciliation, the dead-man's
    switch, retention and the model pipeline, supervised; /health and /metrics on [runtime] http_host and
    http_port. Exits 0 after a clean shutdown, 1 if it was cut short, 2 on a configuration error.
    """
    config = load_config(config_path) if config_path is not None else obj.config()
    logging.getLogger("galfriday").setLevel(config.logging.level.upper())
    report = asyncio.run(_serve_until_signalled(config))
    if not report.clean:
        raise SystemExit(1)


async def _serve_until_signalled(config: Config) -> ShutdownReport:
    stop = asyncio.Event()
    with stop_on_signals(stop):
        return await serve(config, stop)

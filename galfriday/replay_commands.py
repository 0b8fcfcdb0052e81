"""`galfriday replay [--since T] [--source S] [--json]`: rebuild order and fill state from the configured
store's raw journal alone, and compare it with what the store holds.

The composition of `JournalReplay`: one decoder per journal source (`JOURNAL_DECODERS`), an in-memory scratch
store and bus. Exit status 0 when the rebuilt state is identical, 1 when it differs (every difference is
printed), 2 on an error (bad option, no store).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from galfriday.adapters.kraken.journal_decoder import SOURCE as KRAKEN_SOURCE
from galfriday.adapters.kraken.journal_decoder import KrakenFrameDecoder
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.store import MemoryStore
from galfriday.app import App
from galfriday.cli_context import CliContext
from galfriday.config import Config
from galfriday.ports.stores import Store
from galfriday.services.journal_replay import DecoderFactory, JournalReplay, ReplayResult

__all__ = ["JOURNAL_DECODERS", "replay", "replay_store", "result_document"]

JOURNAL_DECODERS: Mapping[str, DecoderFactory] = {KRAKEN_SOURCE: KrakenFrameDecoder}
"""How each journal source is read back: the source name a stream journals under → a fresh decoder."""
SHOWN = 50
"""Differences listed in the table (all of them in --json)."""


async def replay_store(
    store: Store, *, since: datetime | None = None, sources: tuple[str, ...] = ()
) -> ReplayResult:
    """Replay `store`'s journal into a fresh in-memory store and compare (what the command runs)."""
    scratch = MemoryStore()
    await scratch.start()
    bus = MemoryEventBus(maxsize=1_000_000)
    try:
        return await JournalReplay(store, JOURNAL_DECODERS).run(
            scratch, bus, since=since, sources=sources or None
        )
    finally:
        await bus.close()
        await scratch.close()


async def _replay(config: Config, since: datetime | None, sources: tuple[str, ...]) -> ReplayResult:
    async with App.from_config(config, kinds=("store",)) as app:
        return await replay_store(app.store, since=since, sources=sources)


def result_document(result: ReplayResult) -> dict[str, Any]:
    """The result as one JSON document: counts, the comparison's scope, and every difference."""
    live, rebuilt = result.live, result.replayed
    return {
        "identical": result.identical,
        "entries": {
            "read": result.entries_read,
            "replayed": result.entries_replayed,
            "skipped": dict(result.skipped),
            "rejected_frames": result.frames_rejected,
        },
        "events": {"applied": result.events_applied, "refused": result.events_refused},
        "scope": {
            "executions_since": None
            if result.scope.executions_since is None
            else result.scope.executions_since.isoformat(),
            "positions_compared": result.scope.complete,
        },
        "live": _counts(len(live.orders), len(live.executions), len(live.positions), len(live.balances)),
        "replayed": _counts(
            len(rebuilt.orders), len(rebuilt.executions), len(rebuilt.positions), len(rebuilt.balances)
        ),
        "unacknowledged_orders": result.unacknowledged_orders,
        "differences": [
            {"kind": d.kind.value, "key": d.key, "field": d.field, "live": d.live, "replayed": d.replayed}
            for d in result.differences
        ],
    }


def _counts(orders: int, executions: int, positions: int, balances: int) -> dict[str, int]:
    return {"orders": orders, "executions": executions, "positions": positions, "balances": balances}


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time such as 2026-11-24T13:00:00Z") from None
    if parsed.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone; add Z (UTC) or an offset such as +00:00")
    return parsed


@click.command()
@click.option(
    "--since",
    callback=_since,
    metavar="TIME",
    help="Replay only entries received at or after TIME (ISO 8601 with a zone); compares what that window "
    "can reproduce (executions from TIME, orders it saw, balances; not positions).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(sorted(JOURNAL_DECODERS)),
    help="Replay only entries of this source (repeatable; default: every source).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a summary.")
@click.pass_obj
def replay(obj: CliContext, since: datetime | None, sources: tuple[str, ...], as_json: bool) -> None:
    """Rebuild orders, fills, positions and balances from the raw journal and compare with the store."""
    result = asyncio.run(_replay(obj.config(), since, sources))
    if as_json:
        click.echo(json.dumps(result_document(result), indent=2))
    else:
        _print_summary(result)
    if not result.identical:
        sys.exit(1)


def _print_summary(result: ReplayResult) -> None:
    console = Console(width=max(120, Console().width))
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(result.skipped.items())) or "none"
    console.print(
        f"journal: {result.entries_read} entries read, {result.entries_replayed} replayed "
        f"(skipped: {skipped}; {result.frames_rejected} unreadable); "
        f"{result.events_applied} events applied, {result.events_refused} refused"
    )
    for name, state in (("live", result.live), ("replayed", result.replayed)):
        console.print(
            f"{name}: {len(state.orders)} orders, {len(state.executions)} executions, "
            f"{len(state.positions)} positions, {len(state.balances)} balances"
        )
    if result.unacknowledged_orders:
        console.print(f"{result.unacknowledged_orders} live orders never acknowledged (not compared)")
    if result.identical:
        console.print("[green]identical[/]: the journal reproduces the store's order and fill state")
        return
    table = Table(title=f"{len(result.differences)} differences (live store vs replayed journal)")
    for column in ("kind", "key", "field", "live", "replayed"):
        table.add_column(column, overflow="fold")
    for d in result.differences[:SHOWN]:
        table.add_row(d.kind.value, d.key, d.field, d.live or "-", d.replayed or "-")
    console.print(table)
    if len(result.differences) > SHOWN:
        console.print(f"... and {len(result.differences) - SHOWN} more (--json lists every one)")

"""`galfriday kraken book SYMBOL`: keep one order book over WebSocket v2 and print what it took.

The book is maintained by `KrakenStream` exactly as the trading path maintains it: every message checked
against Kraken's CRC32, a mismatch resubscribed for a fresh snapshot. The command stops after `--updates`
book updates (or `--seconds`) and prints a summary: updates applied, snapshots, checksum mismatches,
resyncs, reconnects and the final top levels. Only public data: no API key is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.cli_context import CliContext
from galfriday.config import Config
from galfriday.domain.events import BookReported
from galfriday.domain.market_data import MarketChannel
from galfriday.errors import ExchangeError

__all__ = ["book", "watch_book"]

DEPTHS = ("10", "25", "100", "500", "1000")
SHOWN_LEVELS = 10


async def watch_book(config: Config, symbol: str, depth: int, updates: int, seconds: float) -> dict[str, Any]:
    """Maintain `symbol`'s book until `updates` updates were applied or `seconds` passed; the summary."""
    async with KrakenRestClient(config.kraken.rest_url, None, None) as client:
        stream = KrakenStream(
            config.kraken.ws_url, pair_source=client, settings=StreamSettings(book_depth=depth)
        )
        async with stream:
            applied = snapshots = 0
            deadline = time.monotonic() + seconds
            await stream.subscribe([symbol], [MarketChannel.BOOK], depth=depth)
            events = stream.events()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    async for event in events:
                        if not isinstance(event, BookReported) or event.update.symbol != symbol:
                            continue
                        if event.update.is_snapshot:
                            snapshots += 1
                        else:
                            applied += 1
                            if applied >= updates:
                                break
            book = stream.book(symbol)
            shown = min(depth, SHOWN_LEVELS)
            return {
                "symbol": symbol,
                "depth": depth,
                "updates_applied": applied,
                "snapshots": snapshots,
                "checksum_mismatches": stream.counters.checksum_mismatches,
                "resyncs": stream.counters.resyncs,
                "reconnects": stream.counters.reconnects,
                "complete": applied >= updates,
                "bids": [] if book is None else [[str(p), str(q)] for p, q in book.bids(shown)],
                "asks": [] if book is None else [[str(p), str(q)] for p, q in book.asks(shown)],
            }


def _print_summary(summary: dict[str, Any]) -> None:
    console = Console(width=120)
    console.print(
        f"{summary['symbol']} book (depth {summary['depth']}): {summary['updates_applied']} updates applied, "
        f"{summary['snapshots']} snapshots, {summary['checksum_mismatches']} checksum mismatches, "
        f"{summary['resyncs']} resyncs, {summary['reconnects']} reconnects"
    )
    table = Table(title=f"{summary['symbol']} top levels")
    for column in ("bid qty", "bid", "ask", "ask qty"):
        table.add_column(column, justify="right")
    bids, asks = summary["bids"], summary["asks"]
    for row in range(max(len(bids), len(asks))):
        bid = bids[row] if row < len(bids) else ["", ""]
        ask = asks[row] if row < len(asks) else ["", ""]
        table.add_row(bid[1], bid[0], ask[0], ask[1])
    console.print(table)


@click.command()
@click.argument("symbol")
@click.option("--depth", type=click.Choice(DEPTHS), default="10", show_default=True, help="Levels per side.")
@click.option("--updates", type=click.IntRange(min=1), default=100, show_default=True, help="Stop after N.")
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Stop after this long even if fewer updates came.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text and a table.")
@click.pass_obj
def book(obj: CliContext, symbol: str, depth: str, updates: int, seconds: float, as_json: bool) -> None:
    """Maintain SYMBOL's order book (for example BTC/USD), checksum-verified, and summarise it."""
    try:
        summary = asyncio.run(watch_book(obj.config(), symbol, int(depth), updates, seconds))
    except ExchangeError as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(summary)
    if not summary["complete"]:
        click.echo(
            f"stopped after {seconds:g} s with {summary['updates_applied']} of {updates} updates", err=True
        )

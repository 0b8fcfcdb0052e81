"""`galfriday kraken ...`: look at a Kraken account (or the simulator) from the command line.

URLs and keys come from the configuration and its environment variables (`GALFRIDAY_KRAKEN_REST_URL`,
`GALFRIDAY_KRAKEN_API_KEY`, `GALFRIDAY_KRAKEN_API_SECRET` or the `*_file` settings), so the same commands
point at Kraken or at `galfriday simulator kraken`. Amounts print exactly as Kraken sent them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from galfriday.adapters.kraken.account import KrakenAccount
from galfriday.adapters.kraken.cli_book import book
from galfriday.adapters.kraken.plugin import kraken_rest_client
from galfriday.cli_context import CliContext
from galfriday.domain.balances import Balance
from galfriday.domain.orders import Order

__all__ = ["kraken"]

T = TypeVar("T")


@click.group("kraken")
def kraken() -> None:
    """Kraken account and market commands (REST and WebSocket v2)."""


def _with_account(obj: CliContext, call: Callable[[KrakenAccount], Awaitable[T]]) -> T:
    async def run() -> T:
        async with kraken_rest_client(obj.config()) as client:
            return await call(KrakenAccount(client))

    return asyncio.run(run())


def balance_row(balance: Balance) -> dict[str, str]:
    return {
        "asset": balance.asset,
        "total": str(balance.total),
        "available": str(balance.available),
        "held": str(balance.total - balance.available),
    }


def order_row(order: Order) -> dict[str, Any]:
    return {
        "exchange_order_id": order.exchange_order_id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.order_type.value,
        "quantity": str(order.quantity),
        "limit_price": None if order.limit_price is None else str(order.limit_price),
        "filled_quantity": str(order.filled_quantity),
        "status": order.status.value,
        "created_at": order.created_at.isoformat(),
    }


def _print_table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column not in ("asset", "symbol", "status") else "left")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    Console(width=160).print(table)


@kraken.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.pass_obj
def balances(obj: CliContext, as_json: bool) -> None:
    """Balances (BalanceEx): total, available and held by open orders, per asset."""
    found = _with_account(obj, lambda account: account.balances())
    rows = [balance_row(b) for b in sorted(found, key=lambda b: b.asset)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    _print_table("Kraken balances", rows, ("asset", "total", "available", "held"))


@kraken.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.pass_obj
def orders(obj: CliContext, as_json: bool) -> None:
    """Open orders, oldest first."""
    found = _with_account(obj, lambda account: account.open_orders())
    rows = [order_row(o) for o in sorted(found, key=lambda o: (o.created_at, o.exchange_order_id or ""))]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ("exchange_order_id", "client_order_id", "symbol", "side", "type", "quantity")
    _print_table("Kraken open orders", rows, (*columns, "limit_price", "filled_quantity", "status"))


kraken.add_command(book)

"""`galfriday demo`: a small scenario through the public API on the configured (by default in-memory) adapters.

Orders are placed on the fake exchange, the stream's executions are applied by the order-tracking service, the
same executions are delivered a second time to show that nothing is double-counted, and the resulting state
is printed.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import attrs
from rich.console import Console
from rich.table import Table

from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.app import App
from galfriday.config import Config, Secret
from galfriday.domain.balances import Balance
from galfriday.domain.events import ExchangeEvent, ExecutionReported
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.positions import Position
from galfriday.errors import ConfigurationError
from galfriday.services.order_tracking import OrderTracker

SYMBOL = "BTC/USD"
QUIET_SECONDS = 0.05


async def _drain(events: AsyncIterator[ExchangeEvent], tracker: OrderTracker) -> list[ExchangeEvent]:
    """Apply every event the stream has ready, until it stays quiet for a moment."""
    seen: list[ExchangeEvent] = []
    while True:
        try:
            event = await asyncio.wait_for(anext(events), QUIET_SECONDS)
        except (TimeoutError, StopAsyncIteration):
            return seen
        await tracker.handle(event)
        seen.append(event)


def demo_config(config: Config, workdir: Path) -> Config:
    """The demo's configuration: the default embedded store gets a fresh file, so every run starts clean."""
    if config.store.adapter == "sqlite" and config.store.dsn is None:
        store = attrs.evolve(config.store, dsn=Secret(str(workdir / "galfriday-demo.db")))
        return config.with_overrides(store=store)
    return config


async def run_demo(config: Config, console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="galfriday-demo-") as workdir:
        await _scenario(demo_config(config, Path(workdir)), console)


async def _scenario(config: Config, console: Console) -> None:
    console.rule(f"galfriday demo: fake exchange, {config.store.adapter} store, in-memory event bus")
    async with App.from_config(config) as app:
        exchange = app.exchange
        if not isinstance(exchange, FakeExchange):
            raise ConfigurationError("exchange.adapter", config.exchange.adapter, "'memory' for the demo")
        tracker = OrderTracker(app.store, app.event_bus)
        events = exchange.events().__aiter__()
        clock = app.clock
        step = 0

        def say(text: str) -> None:
            nonlocal step
            step += 1
            console.print(f"[bold cyan]{step}.[/] {text}")

        say(f"Other traders quote {SYMBOL}: asks 0.3 @ 50000 and 0.5 @ 50010, a bid 0.4 @ 49990")
        await exchange.add_liquidity(SYMBOL, OrderSide.SELL, Decimal("50000"), Decimal("0.3"))
        await exchange.add_liquidity(SYMBOL, OrderSide.SELL, Decimal("50010"), Decimal("0.5"))
        await exchange.add_liquidity(SYMBOL, OrderSide.BUY, Decimal("49990"), Decimal("0.4"))

        say("We buy 0.5 BTC limit 50005: 0.3 fills at once as taker, 0.2 rests on the book")
        buy = Order.create(
            client_order_id="demo-buy-1",
            symbol=SYMBOL,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=Decimal("0.5"),
            limit_price=Decimal("50005"),
            at=clock.now(),
        )
        await tracker.record_placed(buy)
        await exchange.place_order(buy)
        await _drain(events, tracker)

        say("Another trader sells 0.2 @ 50005 into our resting bid: we fill as maker")
        await exchange.trade(SYMBOL, OrderSide.SELL, Decimal("50005"), Decimal("0.2"))
        await _drain(events, tracker)

        say("We offer 0.1 BTC at 51000, then cancel it")
        sell = Order.create(
            client_order_id="demo-sell-1",
            symbol=SYMBOL,
            side=OrderSide.SELL,
            order_type=OrderType.LIMIT,
            quantity=Decimal("0.1"),
            limit_price=Decimal("51000"),
            at=clock.now(),
        )
        await tracker.record_placed(sell)
        acknowledged = await exchange.place_order(sell)
        await _drain(events, tracker)
        assert acknowledged.exchange_order_id is not None
        await exchange.cancel_order(acknowledged.exchange_order_id)
        await _drain(events, tracker)

        say("The stream delivers every execution a second time (as a reconnect or a backfill would)")
        fills = await exchange.trades_since(buy.created_at)
        changed = 0
        for execution in fills:
            changed += len(await tracker.handle(ExecutionReported(execution)))
        console.print(f"   {len(fills)} executions delivered again: {changed} state changes (expected 0)")

        async with app.store.unit_of_work() as uow:
            orders = [
                o for o in (await uow.orders.get("demo-buy-1"), await uow.orders.get("demo-sell-1")) if o
            ]
            executions = await uow.executions.since(buy.created_at)
            positions = await uow.positions.all()
            balances = await uow.balances.all()

        console.rule("Resulting state")
        console.print(_orders_table(orders))
        console.print(_executions_table(executions))
        mark = Decimal("50005")
        console.print(_positions_table(positions, mark))
        console.print(_balances_table(balances))
    say("The app stops; a new one opens the same store (a restart): is everything still there?")
    async with App.from_config(config, kinds=("store",)) as restarted, restarted.store.unit_of_work() as uow:
        survived = [o for o in (await uow.orders.get("demo-buy-1"), await uow.orders.get("demo-sell-1")) if o]
        survived_fills = await uow.executions.since(buy.created_at)
        survived_positions = await uow.positions.all()
    kept = survived == orders and survived_fills == executions and survived_positions == positions
    console.print(
        f"   after the restart: {len(survived)} orders, {len(survived_fills)} executions, "
        f"{len(survived_positions)} position(s), {'all equal to before' if kept else 'DIFFERENT from before'}"
    )

    position = next((p for p in positions if p.symbol == SYMBOL), None)
    filled = sum((o.filled_quantity for o in orders if o.side is OrderSide.BUY), Decimal(0))
    ok = kept and changed == 0 and position is not None and position.quantity == filled == Decimal("0.5")
    verdict = "[bold green]consistent[/]" if ok else "[bold red]INCONSISTENT[/]"
    console.print(
        f"Summary: position {position.quantity if position else 0} BTC equals filled quantity {filled}; "
        f"duplicate delivery changed nothing; the store kept everything across a restart: {verdict}"
    )
    if not ok:
        raise SystemExit(1)


def _orders_table(orders: list[Order]) -> Table:
    table = Table(title="Orders")
    for column in (
        "client id",
        "exchange id",
        "side",
        "qty",
        "limit",
        "status",
        "filled",
        "avg price",
        "fees",
    ):
        table.add_column(column)
    for o in orders:
        fees = ", ".join(f"{amount} {ccy}" for ccy, amount in o.fees.items()) or "-"
        table.add_row(
            o.client_order_id,
            o.exchange_order_id or "-",
            o.side.value,
            str(o.quantity),
            str(o.limit_price),
            o.status.value,
            str(o.filled_quantity),
            f"{o.average_price:.2f}" if o.average_price is not None else "-",
            fees,
        )
    return table


def _executions_table(executions: list[Execution]) -> Table:
    table = Table(title="Executions")
    for column in ("exec id", "order", "side", "qty", "price", "fee", "liquidity"):
        table.add_column(column)
    for e in executions:
        table.add_row(
            e.exec_id,
            e.order_id,
            e.side.value,
            str(e.quantity),
            str(e.price),
            f"{e.fee} {e.fee_currency}",
            e.liquidity.value,
        )
    return table


def _positions_table(positions: list[Position], mark: Decimal) -> Table:
    table = Table(title=f"Positions (mark {mark})")
    for column in ("symbol", "qty", "avg cost", "realized", "unrealized"):
        table.add_column(column)
    for p in positions:
        table.add_row(
            p.symbol,
            str(p.quantity),
            f"{p.average_cost:.2f}",
            str(p.realized_pnl),
            f"{p.unrealized_pnl(mark):.2f}",
        )
    return table


def _balances_table(balances: list[Balance]) -> Table:
    table = Table(title="Balances")
    for column in ("asset", "total", "available", "reserved"):
        table.add_column(column)
    for b in balances:
        table.add_row(b.asset, str(b.total), str(b.available), str(b.reserved))
    return table

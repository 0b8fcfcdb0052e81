"""Orders on the simulated Kraken: our bids, placed through the runtime's gates; other traders selling into them.

Our orders go out like a strategy's would: recorded by the order tracker first, then placed through the
trading gate (`GatedOrders`) once stream recovery and the start-up reconciliation let trading begin. Fills
reach the store only through the stream (or, when the stream missed them, through stream recovery's backfill).
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from galfriday.demo.configuration import SYMBOL
from galfriday.demo.session import DemoSession, until
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.domain.timestamps import EPOCH
from galfriday.services.trading_gate import GatedOrders

QUANTITY = Decimal("0.0100")
BID_PRICES = tuple(Decimal(29000 + 100 * n) for n in range(6))
"""Six bids, 100 USD apart; the lowest is never reached and stays open."""


@frozen
class StoredState:
    """What the store holds, read in one unit of work."""

    orders: list[Order]
    executions: list[Execution]


async def stored(session: DemoSession) -> StoredState:
    async with session.app.store.unit_of_work() as uow:
        return StoredState(await uow.orders.list_updated_since(EPOCH), await uow.executions.since(EPOCH))


async def trading_allowed(session: DemoSession) -> float:
    """Wait until stream recovery's start-up backfill and the start-up reconciliation let orders out."""
    runtime = session.runtime

    async def open_() -> bool:
        started = any(r.kind is RunKind.STARTUP for r in runtime.reconciliation.reports)
        return started and runtime.recovery.gate.is_open and runtime.trading_gate.is_open

    return await until(open_, "stream recovery and the start-up reconciliation open the order gates")


async def place_bids(session: DemoSession) -> list[Order]:
    """Our limit bids of `QUANTITY` at `BID_PRICES`, as the exchange acknowledged them."""
    runtime = session.runtime
    orders = GatedOrders(session.app.exchange, runtime.trading_gate)
    placed = []
    for n, price in enumerate(BID_PRICES, start=1):
        order = Order.create(
            client_order_id=f"demo-bid-{n}",
            symbol=SYMBOL,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=QUANTITY,
            limit_price=price,
            at=session.now(),
        )
        await runtime.tracker.record_placed(order)
        placed.append(await orders.place_order(order))
    return placed


def sell_into(session: DemoSession, sales: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Other traders sell (immediate-or-cancel) `(price, quantity)`, best price first; the quantity traded."""
    market = session.simulator.market
    return sum(
        (market.trade(SYMBOL, OrderSide.SELL, price, qty) for price, qty in sorted(sales, reverse=True)),
        Decimal(0),
    )


async def store_has_every_fill(session: DemoSession) -> bool:
    """Whether the store holds exactly the simulator's fills, and every order's filled quantity and status."""
    truth = session.simulator.truth()
    state = await stored(session)
    if {e.exec_id for e in state.executions} != truth.exec_ids:
        return False
    ours = {o.exchange_order_id: o for o in state.orders}
    return all(
        txid in ours
        and ours[txid].filled_quantity == order.vol_exec
        and ours[txid].status.value == order.ws_status
        for txid, order in truth.orders.items()
    )

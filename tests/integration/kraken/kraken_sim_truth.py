"""Our side of a Kraken simulator session held against the simulator's truth: placing a tracked limit order,
why the store does not match the truth yet, and waiting until it does.

Shared by the end-to-end tests (recovery, chaos, journaled sessions) so that each of them checks "local state
equals Kraken's" the same way.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from galfriday.adapters.memory.clock import SystemClock
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.timestamps import EPOCH
from galfriday.ports.exchange import ExchangeAccount
from galfriday.ports.stores import Store
from galfriday.services.order_tracking import OrderTracker
from galfriday.testing.kraken_simulator import KrakenSimulator

SYMBOL = "BTC/USD"


async def place_limit(
    exchange: ExchangeAccount,
    tracker: OrderTracker,
    *,
    client_order_id: str,
    side: OrderSide,
    price: Decimal,
    quantity: Decimal,
) -> Order:
    """A limit order on SYMBOL, recorded as placed by the tracker first (as the runtime does), then placed."""
    order = Order.create(
        client_order_id=client_order_id,
        symbol=SYMBOL,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=quantity,
        limit_price=price,
        at=SystemClock().now(),
    )
    await tracker.record_placed(order)
    return await exchange.place_order(order)


def fill_key(execution: Execution) -> tuple[str, str, Decimal, Decimal, Decimal]:
    """What must agree between a stored fill and the simulator's: ids, quantity, price and fee."""
    return (execution.exec_id, execution.order_id, execution.quantity, execution.price, execution.fee)


async def mismatch(sim: KrakenSimulator, store: Store, *, balances: bool = True) -> str | None:
    """Why the store does not match the simulator's truth yet, or None when it does: every fill, each
    order's filled quantity and status, and (unless `balances` is False) each balance's total."""
    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(EPOCH)
        orders = {o.exchange_order_id: o for o in await uow.orders.list_updated_since(EPOCH)}
        totals = {b.asset: b.total for b in await uow.balances.all()} if balances else {}
    if len(stored) != len(truth.executions):
        return f"{len(stored)} fills stored, {len(truth.executions)} on the simulator"
    if sorted(map(fill_key, stored)) != sorted(map(fill_key, truth.domain_executions())):
        return "the stored fills differ from the simulator's"
    for txid, sim_order in truth.orders.items():
        ours = orders.get(txid)
        if ours is None:
            return f"order {txid} not stored"
        if ours.filled_quantity != sim_order.vol_exec or ours.status.value != sim_order.ws_status:
            return (
                f"order {txid}: {ours.status.value} {ours.filled_quantity} stored, "
                f"{sim_order.ws_status} {sim_order.vol_exec} on the simulator"
            )
    if balances:
        for asset, total in truth.balances.items():
            if totals.get(asset) != total:
                return f"{asset}: {totals.get(asset)} stored, {total} on the simulator"
    return None


async def converge(
    sim: KrakenSimulator,
    store: Store,
    *,
    within: float,
    what: str = "local state matching the simulator",
    balances: bool = True,
) -> None:
    """Wait until the store matches the simulator's truth (see `mismatch`); fail saying what still differs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (why := await mismatch(sim, store, balances=balances)) is not None:
        assert loop.time() < deadline, f"{what}: no match with the simulator within {within}s: {why}"
        await asyncio.sleep(0.1)

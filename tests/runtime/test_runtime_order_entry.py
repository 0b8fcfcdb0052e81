"""Placing an order through the runtime: refused while the stream is in doubt or trading is halted; otherwise
recorded, sent, filled into the store, with the dead-man's switch armed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from runtime_fixtures import SYMBOL, running_runtime
from runtime_waiting import eventually

from galfriday.domain.executions import OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import TradingHaltedError
from galfriday.runtime.process import Runtime


def bid(runtime: Runtime, client_order_id: str, price: str = "50000") -> Order:
    return Order.create(
        client_order_id=client_order_id,
        symbol=SYMBOL,
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.1"),
        limit_price=Decimal(price),
        at=runtime.app.clock.now(),
    )


async def ready(runtime: Runtime) -> None:
    await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")
    await eventually(lambda: runtime.trading_gate.is_open, "the gate open")


async def test_an_order_placed_through_the_runtime_is_recorded_filled_and_arms_the_switch() -> None:
    async with running_runtime() as runtime:
        await ready(runtime)
        exchange = runtime.app.exchange
        await exchange.add_liquidity(SYMBOL, OrderSide.SELL, Decimal("50000"), Decimal("0.1"))
        acknowledged = await runtime.orders.place(bid(runtime, "strategy-1"))
        assert acknowledged.exchange_order_id is not None
        resting = await runtime.orders.place(bid(runtime, "strategy-2", "40000"))

        async def statuses() -> dict[str, OrderStatus]:
            async with runtime.app.store.unit_of_work() as uow:
                found = [await uow.orders.get(c) for c in ("strategy-1", "strategy-2")]
            return {o.client_order_id: o.status for o in found if o is not None}

        await eventually(lambda: runtime.intake.applied >= 4, "the reports applied")
        assert await statuses() == {"strategy-1": OrderStatus.FILLED, "strategy-2": OrderStatus.NEW}
        assert resting.exchange_order_id is not None
        await eventually(lambda: runtime.deadman.fires_at is not None, "the switch armed for the resting bid")


async def test_an_order_is_refused_and_not_recorded_while_the_stream_is_down() -> None:
    async with running_runtime() as runtime:
        await ready(runtime)
        runtime.app.exchange.disconnect()
        await eventually(lambda: not runtime.recovery.gate.is_open, "the order gate closed")
        assert "stream" in runtime.trading_gate.reasons  # one gate holds the stream's and reconciliation's reasons
        with pytest.raises(TradingHaltedError, match="stream"):
            await runtime.orders.place(bid(runtime, "refused-1"))
        assert runtime.metrics.registry.get_sample_value("galfriday_orders_held") == 1
        async with runtime.app.store.unit_of_work() as uow:
            assert await uow.orders.get("refused-1") is None


async def test_an_order_is_refused_while_reconciliation_halts_trading() -> None:
    async with running_runtime() as runtime:
        await ready(runtime)
        assert runtime.metrics.registry.get_sample_value("galfriday_orders_held") == 0
        runtime.trading_gate.halt("reconciliation", "2 discrepancies need review")
        assert runtime.metrics.registry.get_sample_value("galfriday_orders_held") == 1
        with pytest.raises(TradingHaltedError, match="2 discrepancies need review"):
            await runtime.orders.place(bid(runtime, "refused-2"))

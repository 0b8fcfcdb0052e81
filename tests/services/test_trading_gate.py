"""The trading gate: halt reasons by key; order placement refused while any is held."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.plugin import DEFAULT_PAIRS
from galfriday.domain.orders import Order
from galfriday.errors import InvalidValueError, TradingHaltedError
from galfriday.services.trading_gate import GatedOrders, TradingGate

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_a_new_gate_is_open() -> None:
    gate = TradingGate()
    assert gate.is_open
    gate.check()


def test_halting_again_replaces_the_keys_detail() -> None:
    gate = TradingGate()
    gate.halt("stream", "disconnected")

    gate.halt("stream", "backfilling")

    assert gate.reasons == {"stream": "backfilling"}


async def test_waiting_ends_when_the_gate_opens() -> None:
    gate = TradingGate()
    gate.halt("stream", "disconnected")
    waiting = asyncio.ensure_future(gate.wait_open())
    await asyncio.sleep(0)
    assert not waiting.done()

    gate.resume("stream")

    await asyncio.wait_for(waiting, 1)


def test_a_halt_closes_the_gate_and_check_names_every_reason() -> None:
    gate = TradingGate()
    gate.halt("stream", "stream unhealthy")
    gate.halt("reconciliation", "2 discrepancies need review")
    with pytest.raises(TradingHaltedError) as raised:
        gate.check()
    assert raised.value.reasons == {
        "stream": "stream unhealthy",
        "reconciliation": "2 discrepancies need review",
    }
    assert "stream unhealthy" in str(raised.value)


def test_the_gate_opens_only_when_every_reason_is_lifted() -> None:
    gate = TradingGate()
    gate.halt("a", "one")
    gate.halt("b", "two")
    gate.resume("a")
    assert not gate.is_open
    gate.resume("b")
    assert gate.is_open


def test_lifting_a_reason_not_held_changes_nothing() -> None:
    gate = TradingGate()
    gate.halt("a", "one")
    gate.resume("other")
    assert gate.reasons == {"a": "one"}


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="key"):
        TradingGate().halt("", "why")


async def test_wait_open_returns_once_the_last_reason_is_lifted() -> None:
    gate = TradingGate()
    gate.halt("startup", "reconciling")
    waiter = asyncio.create_task(gate.wait_open())
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.resume("startup")
    await asyncio.wait_for(waiter, 1)


async def test_gated_orders_refuse_an_order_while_halted_and_send_it_once_open() -> None:
    exchange = FakeExchange(clock=ManualClock(T0), pairs=DEFAULT_PAIRS, balances={"USD": Decimal(1000)})
    await exchange.start()
    gate = TradingGate()
    orders = GatedOrders(exchange, gate)
    order = Order.create(
        client_order_id="c1", symbol="BTC/USD", side="buy", order_type="limit",
        quantity=Decimal("0.01"), limit_price=Decimal(100), at=T0,
    )  # fmt: skip
    gate.halt("reconciliation", "review needed")
    with pytest.raises(TradingHaltedError):
        await orders.place_order(order)
    assert await exchange.open_orders() == []
    gate.resume("reconciliation")
    acknowledged = await orders.place_order(order)
    assert acknowledged.exchange_order_id is not None
    await exchange.close()

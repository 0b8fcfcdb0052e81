"""Stream recovery: whatever the stream misses is backfilled through the account, applied exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import cast

import attrs
import pytest
from recovery_world import QUANTITY, LossyStream, World, eventually, make_world

from galfriday.adapters.memory.clock import ManualClock
from galfriday.domain.events import ExecutionReported, StreamRecoveryNeeded
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.errors import InvalidValueError, OutcomeUnknownError, TradingHaltedError
from galfriday.ports.exchange import ExchangeAccount, ExchangeStream
from galfriday.services.stream_recovery import GATE_SOURCE, StreamRecovery
from galfriday.services.trading_gate import TradingGate

ABOVE_THE_MARKET = Decimal("51000.0")
SLOW_POLL = 60.0
"""A poll interval no test waits for: only the reconnect (or gap) backfill can recover anything."""


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built = await make_world()
    yield built
    await built.exchange.close()


def recovery_for(
    world: World,
    *,
    poll: float = SLOW_POLL,
    stream: ExchangeStream | None = None,
    account: object | None = None,
    gate: TradingGate | None = None,
) -> StreamRecovery:
    """The service on the world's exchange (or the `account` standing in for it, a wrapper of it)."""
    return StreamRecovery(
        cast(ExchangeAccount, account or world.exchange),
        stream or world.exchange,
        world.tracker,
        world.store,
        world.clock,
        gate=gate,
        poll_interval=poll,
        retry_delay=0.01,
    )


@pytest.fixture
async def recovery(world: World) -> AsyncIterator[StreamRecovery]:
    service = recovery_for(world)
    await service.start()
    yield service
    await service.close()


async def acknowledged(world: World, client_order_id: str) -> bool:
    order = await world.stored_order(client_order_id)
    return order is not None and order.exchange_order_id is not None


async def test_fills_while_the_stream_is_down_are_recovered_exactly_once_after_reconnect(
    world: World, recovery: StreamRecovery
) -> None:
    order = await world.submit()
    await eventually(lambda: acknowledged(world, order.client_order_id), "the stream acknowledging the order")
    world.exchange.disconnect()
    await world.fill_against(order, QUANTITY / 2)
    await world.fill_against(order, QUANTITY / 2)
    assert await world.stored_executions() == []

    world.exchange.reconnect()

    await eventually(lambda: _filled(world, order.client_order_id), "the order filled by the backfill")
    truth = await world.exchange.trades_since(order.created_at)
    stored = await world.stored_executions()
    assert sorted(e.exec_id for e in stored) == sorted(e.exec_id for e in truth)
    assert len(truth) == 2


async def test_a_second_backfill_of_the_same_fills_changes_nothing(
    world: World, recovery: StreamRecovery
) -> None:
    order = await world.submit()
    await eventually(lambda: acknowledged(world, order.client_order_id), "the stream acknowledging the order")
    world.exchange.disconnect()
    await world.fill_against(order)
    world.exchange.reconnect()
    await eventually(lambda: _filled(world, order.client_order_id), "the order filled by the backfill")
    position_before = await _position(world)

    again = await recovery.backfill("manual")

    assert again.executions_new == 0
    assert again.executions_seen >= 1
    assert await _position(world) == position_before == QUANTITY
    assert len(await world.stored_executions()) == 1


async def test_fills_the_stream_reported_and_the_backfill_found_again_count_once(
    world: World, recovery: StreamRecovery
) -> None:
    order = await world.submit()
    await world.fill_against(order)
    await eventually(lambda: _filled(world, order.client_order_id), "the stream reporting the fill")

    report = await recovery.backfill("manual", since=order.created_at - timedelta(minutes=5))

    assert (report.executions_seen, report.executions_new) == (1, 0)
    assert await _position(world) == QUANTITY


async def test_while_the_stream_is_down_the_account_is_polled_and_fills_recovered(world: World) -> None:
    recovery = recovery_for(world, poll=0.02)
    await recovery.start()
    try:
        order = await world.submit()
        await eventually(lambda: acknowledged(world, order.client_order_id), "the stream acknowledging it")
        world.exchange.disconnect()
        await eventually(lambda: recovery.polling, "polling to start")

        await world.fill_against(order)

        await eventually(lambda: _filled(world, order.client_order_id), "a poll recovering the fill")
        assert world.exchange.health().healthy is False
        assert len(await world.stored_executions()) == 1
    finally:
        await recovery.close()


async def test_polling_stops_when_the_stream_is_healthy_again(world: World) -> None:
    recovery = recovery_for(world, poll=0.02)
    await recovery.start()
    try:
        world.exchange.disconnect()
        await eventually(lambda: recovery.polling, "polling to start")

        world.exchange.reconnect()

        await eventually(lambda: not recovery.polling, "polling to stop")
    finally:
        await recovery.close()


async def test_the_gate_holds_orders_back_while_the_stream_is_down(
    world: World, recovery: StreamRecovery
) -> None:
    assert recovery.gate.is_open

    world.exchange.disconnect()

    await eventually(lambda: not recovery.gate.is_open, "the gate closing")
    assert GATE_SOURCE in recovery.gate.reasons
    with pytest.raises(TradingHaltedError, match="stream"):
        recovery.gate.check()


async def test_the_gate_reopens_only_after_the_reconnect_backfill(
    world: World, recovery: StreamRecovery
) -> None:
    world.exchange.disconnect()
    await eventually(lambda: not recovery.gate.is_open, "the gate closing")
    backfills = len(recovery.reports)

    world.exchange.reconnect()

    await eventually(lambda: recovery.gate.is_open, "the gate reopening")
    assert [r.reason for r in recovery.reports[backfills:]] == ["reconnect"]


async def test_a_gap_announced_by_the_stream_is_backfilled(world: World) -> None:
    recovery = recovery_for(world, stream=LossyStream(world.exchange, drop=1))
    await recovery.start()
    try:
        order = await world.submit()
        await world.fill_against(order)

        await eventually(lambda: _filled(world, order.client_order_id), "the gap backfill finding the fill")
        assert recovery.reports[-1].reason == "gap"
        assert recovery.reports[-1].executions_new == 1
    finally:
        await recovery.close()


async def test_an_order_placed_without_an_answer_is_found_by_its_client_order_id(
    world: World, recovery: StreamRecovery
) -> None:
    order = world.new_order()
    await world.tracker.record_placed(order)
    world.exchange.disconnect()
    placed = await world.exchange.place_order(order)  # the answer is lost: we never learn the exchange id
    await world.fill_against(placed)

    world.exchange.reconnect()

    await eventually(lambda: _filled(world, order.client_order_id), "the backfill finding the order")
    stored = await world.stored_order(order.client_order_id)
    assert stored is not None
    assert stored.exchange_order_id == placed.exchange_order_id


async def test_fills_before_the_service_started_are_recovered_at_start(world: World) -> None:
    order = await world.submit(OrderSide.SELL, price=ABOVE_THE_MARKET)
    await world.fill_against(order)  # nobody is consuming the stream yet
    recovery = recovery_for(world)

    await recovery.start()
    try:
        assert await _filled(world, order.client_order_id)
        assert recovery.reports[0].reason == "start"
    finally:
        await recovery.close()


async def test_an_external_gate_hold_survives_the_stream_becoming_healthy(world: World) -> None:
    gate = TradingGate()
    gate.halt("reconciliation", "drift too large")
    recovery = recovery_for(world, gate=gate)
    await recovery.start()
    try:
        assert gate.reasons == {"reconciliation": "drift too large"}
    finally:
        await recovery.close()


def test_a_poll_interval_of_zero_is_refused(world: World) -> None:
    with pytest.raises(InvalidValueError, match="poll_interval"):
        recovery_for(world, poll=0)


async def test_a_recovery_event_without_a_since_backfills_from_the_last_persisted_fill(
    world: World, recovery: StreamRecovery
) -> None:
    order = await world.submit()
    await world.fill_against(order)
    await eventually(lambda: _filled(world, order.client_order_id), "the stream reporting the fill")
    now = world.clock.now()

    await recovery.handle(
        StreamRecoveryNeeded(exchange="memory", reason="reconnect", since=None, occurred_at=now)
    )

    [stored] = await world.stored_executions()
    assert recovery.reports[-1].since <= stored.timestamp - timedelta(seconds=60)


async def _filled(world: World, client_order_id: str) -> bool:
    order = await world.stored_order(client_order_id)
    return order is not None and order.status is OrderStatus.FILLED and order.filled_quantity == QUANTITY


async def _position(world: World) -> Decimal | None:
    async with world.store.unit_of_work() as uow:
        position = await uow.positions.get("BTC/USD")
    return None if position is None else abs(position.quantity)


async def test_fed_by_another_reader_of_the_stream_it_recovers_the_same(world: World) -> None:
    recovery = recovery_for(world)
    events = world.exchange.events()
    await recovery.start(consume=False)
    order = await world.submit()
    world.exchange.disconnect()
    await world.fill_against(order)
    world.exchange.reconnect()

    async with asyncio.timeout(3):
        while not await _filled(world, order.client_order_id):
            event = await anext(events)
            await recovery.apply(event)
            await recovery.observe(event)

    assert recovery.reports[-1].reason == "reconnect"
    assert len(await world.stored_executions()) == 1
    await recovery.close()


class WorldAccount:
    """The FakeExchange as the account, every call passed through but those a subclass answers itself."""

    def __init__(self, world: World) -> None:
        self._exchange = world.exchange

    def __getattr__(self, name: str) -> object:
        return getattr(self._exchange, name)


class LaggingAccount(WorldAccount):
    """An account whose trade history lags: the first `lagging` calls of `trades_since` do not show the
    latest fills yet, while the orders already show them filled."""

    def __init__(self, world: World, lagging: int) -> None:
        super().__init__(world)
        self.lagging = lagging

    async def trades_since(self, since: datetime) -> list[Execution]:
        if self.lagging > 0:
            self.lagging -= 1
            return []
        return await self._exchange.trades_since(since)


async def test_an_order_still_short_of_fills_makes_the_backfill_look_further_back(world: World) -> None:
    account = LaggingAccount(world, lagging=0)
    recovery = recovery_for(world, account=account)
    await recovery.start(consume=False)
    order = await world.submit()
    await world.fill_against(order)
    account.lagging = 1

    report = await recovery.backfill("manual")

    assert report.widened
    assert await _filled(world, order.client_order_id)
    await recovery.close()


async def test_a_stream_fill_already_stored_in_rests_form_is_skipped_not_an_error(world: World) -> None:
    recovery = recovery_for(world)
    order = await world.submit()
    await world.fill_against(order)
    [fill] = await world.exchange.trades_since(order.created_at)
    rest_form = attrs.evolve(fill, client_order_id=None, timestamp=fill.timestamp.replace(microsecond=0))
    await recovery.apply(ExecutionReported(rest_form))

    await recovery.apply(ExecutionReported(fill))

    assert await world.stored_executions() == [rest_form]


async def test_stream_health_is_fed_into_the_trading_gate_that_reconciliation_halts(world: World) -> None:
    trading_gate = TradingGate()
    trading_gate.halt("reconciliation", "drift too large")
    recovery = recovery_for(world, gate=trading_gate)
    await recovery.start()
    try:
        world.exchange.disconnect()
        await eventually(lambda: GATE_SOURCE in trading_gate.reasons, "the stream halting trading")
        with pytest.raises(TradingHaltedError, match="stream"):
            trading_gate.check()

        world.exchange.reconnect()

        await eventually(lambda: GATE_SOURCE not in trading_gate.reasons, "the stream lifting its halt")
        assert trading_gate.reasons == {"reconciliation": "drift too large"}
    finally:
        await recovery.close()


class UnreachableAccount(WorldAccount):
    """An account that cannot be reached for its first `failures` order listings."""

    def __init__(self, world: World, failures: int) -> None:
        super().__init__(world)
        self.failures = failures

    async def open_orders(self) -> list[Order]:
        if self.failures > 0:
            self.failures -= 1
            raise OutcomeUnknownError("no answer within 10s")
        return await self._exchange.open_orders()


async def test_an_unreachable_account_at_start_keeps_trading_halted_until_a_retry_succeeds(
    world: World,
) -> None:
    order = await world.submit()
    await world.fill_against(order)  # nobody reads the stream yet
    account = UnreachableAccount(world, failures=3)
    recovery = recovery_for(world, account=account)

    await recovery.start()
    try:
        assert not recovery.gate.is_open

        await eventually(lambda: recovery.gate.is_open, "the retried start-up backfill")
        assert await _filled(world, order.client_order_id)
        assert account.failures == 0
    finally:
        await recovery.close()


async def test_a_backfill_the_account_cannot_answer_is_retried_without_holding_up_the_stream(
    world: World,
) -> None:
    account = UnreachableAccount(world, failures=0)
    recovery = recovery_for(world, account=account)
    await recovery.start(consume=False)
    order = await world.submit()
    await world.fill_against(order)  # the stream's report of it is lost: nobody applies it
    account.failures = 2
    gap = StreamRecoveryNeeded(
        exchange="memory", reason="gap", since=order.created_at, occurred_at=order.created_at
    )

    await asyncio.wait_for(recovery.observe(gap), 1)  # returns: the stream must keep being applied

    assert not recovery.gate.is_open
    await eventually(lambda: recovery.gate.is_open, "the retried gap backfill")
    assert await _filled(world, order.client_order_id)
    await recovery.close()


async def test_with_the_stream_down_at_start_it_still_looks_back_to_our_oldest_open_order() -> None:
    clock = ManualClock(datetime(2026, 11, 24, 12, tzinfo=UTC))
    world = await make_world(clock)
    try:
        order = await world.submit()
        await world.fill_against(order)  # nobody reads the stream
        clock.advance(600)
        world.exchange.disconnect()
        recovery = recovery_for(world)

        await recovery.start(consume=False)

        assert await _filled(world, order.client_order_id)
        assert recovery.reports[0].since <= order.created_at
        assert not recovery.reports[0].widened
        await recovery.close()
    finally:
        await world.exchange.close()

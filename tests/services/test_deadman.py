"""The dead-man's switch: armed while we have live orders, re-armed before it fires, disarmed when none
remain, and kept going through failures that are logged loudly."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from recovery_world import World, eventually, make_world

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.domain.events import OrderReported
from galfriday.domain.order_status import OrderStatus
from galfriday.errors import InvalidValueError, OutcomeUnknownError
from galfriday.services.deadman import DeadMansSwitch

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)


class FlakyAccount:
    """The FakeExchange, whose next `failures` dead-man's switch calls get no answer."""

    def __init__(self, exchange: FakeExchange, failures: int) -> None:
        self.exchange = exchange
        self.failures = failures
        self.calls: list[int] = []

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        self.calls.append(timeout_seconds)
        if self.failures > 0:
            self.failures -= 1
            raise OutcomeUnknownError("Kraken CancelAllOrdersAfter: no answer within 10s")
        return await self.exchange.cancel_all_after(timeout_seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def world(clock: ManualClock) -> AsyncIterator[World]:
    built = await make_world(clock)
    yield built
    await built.exchange.close()


def switch_for(world: World, account: object = None, **options: object) -> DeadMansSwitch:
    return DeadMansSwitch(
        account or world.exchange,  # type: ignore[arg-type]
        world.store,
        world.clock,
        retry_delays=(0.5, 1.0),
        **options,  # type: ignore[arg-type]
    )


async def open_orders(world: World) -> list[str]:
    return [o.client_order_id for o in await world.exchange.open_orders()]


async def pass_time(world: World, clock: ManualClock, seconds: int) -> None:
    clock.advance(seconds)
    await world.exchange.tick()


async def test_it_arms_for_the_timeout_while_an_order_is_live(world: World, clock: ManualClock) -> None:
    await world.submit()

    fires_at = await switch_for(world, timeout=60).step()

    assert fires_at == clock.now() + timedelta(seconds=60)


async def test_an_armed_switch_cancels_our_orders_when_not_rearmed(world: World, clock: ManualClock) -> None:
    order = await world.submit()
    await switch_for(world, timeout=60).step()

    await pass_time(world, clock, 61)

    assert order.client_order_id not in await open_orders(world)


async def test_rearming_every_interval_keeps_the_orders_alive(world: World, clock: ManualClock) -> None:
    order = await world.submit()
    switch = switch_for(world, timeout=60)
    assert switch.interval == 15

    for _ in range(20):
        await switch.step()
        await pass_time(world, clock, 15)

    assert await open_orders(world) == [order.client_order_id]


async def test_with_no_live_orders_it_is_disarmed(world: World, clock: ManualClock) -> None:
    order = await world.submit()
    switch = switch_for(world, timeout=60)
    await switch.step()
    await world.exchange.cancel_order(order.exchange_order_id or "")
    canceled = await world.exchange.orders_by_id([order.exchange_order_id or ""])
    await world.tracker.handle(OrderReported(canceled[0], clock.now()))
    outsider = await world.exchange.place_order(world.new_order())  # not ours: the store does not know it

    assert await switch.step() is None
    await pass_time(world, clock, 120)

    assert await open_orders(world) == [outsider.client_order_id]


async def test_it_disarms_once_rather_than_every_round(world: World) -> None:
    account = FlakyAccount(world.exchange, failures=0)
    switch = switch_for(world, account)

    for _ in range(3):
        await switch.step()

    assert account.calls == [0]


async def test_an_unanswered_call_is_retried_and_logged_as_an_error(
    world: World, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await world.submit()
    account = FlakyAccount(world.exchange, failures=2)
    switch = switch_for(world, account, timeout=60)

    with caplog.at_level(logging.ERROR, "galfriday.services.deadman"):
        fires_at = await switch.step()

    assert account.calls == [60, 60, 60]
    assert fires_at == clock.now() + timedelta(seconds=60)
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.ERROR]
    assert "OutcomeUnknownError" in caplog.records[0].getMessage()


async def test_when_every_attempt_fails_it_logs_critical_and_tries_again_next_round(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.submit()
    account = FlakyAccount(world.exchange, failures=3)
    switch = switch_for(world, account)

    with caplog.at_level(logging.ERROR, "galfriday.services.deadman"):
        assert await switch.step() is None
        assert switch.failures == 1
        assert await switch.step() is not None

    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    assert switch.failures == 0


async def test_a_failed_disarm_is_tried_again_next_round(world: World) -> None:
    account = FlakyAccount(world.exchange, failures=3)
    switch = switch_for(world, account)

    await switch.step()
    await switch.step()

    assert account.calls == [0, 0, 0, 0]


async def test_a_disabled_switch_never_calls_the_exchange(world: World) -> None:
    await world.submit()
    account = FlakyAccount(world.exchange, failures=0)
    switch = switch_for(world, account, enabled=False)

    await switch.start()
    assert await switch.step() is None
    await switch.close()

    assert account.calls == []


async def test_running_it_keeps_orders_alive_across_ten_minutes(world: World, clock: ManualClock) -> None:
    order = await world.submit()
    switch = switch_for(world, timeout=60)

    await switch.start()
    try:
        await eventually(lambda: clock.now() > T0 + timedelta(minutes=10), "ten minutes of clock time")
        await world.exchange.tick()
        assert await open_orders(world) == [order.client_order_id]
    finally:
        await switch.close()


async def test_once_stopped_an_armed_switch_still_fires(world: World, clock: ManualClock) -> None:
    order = await world.submit()
    switch = switch_for(world, timeout=60)
    await switch.start()
    await eventually(lambda: switch.fires_at is not None, "the switch arming")
    await switch.close()

    await pass_time(world, clock, 61)

    [found] = await world.exchange.orders_by_id([order.exchange_order_id or ""])
    assert found.status is OrderStatus.CANCELED


async def test_poke_checks_at_once_instead_of_at_the_next_interval() -> None:
    world = await make_world()  # the real clock: the next interval is 15 real seconds away
    account = FlakyAccount(world.exchange, failures=0)
    switch = switch_for(world, account, timeout=60)
    await switch.start()
    try:
        await eventually(lambda: account.calls == [0], "the first round disarming")
        await world.submit()

        switch.poke()

        await eventually(lambda: account.calls == [0, 60], "the poked round arming")
    finally:
        await switch.close()
        await world.exchange.close()


@pytest.mark.parametrize(("option", "value"), [("timeout", 0), ("timeout", 86400), ("rearm_fraction", 1.0)])
def test_settings_outside_their_range_are_refused(world: World, option: str, value: object) -> None:
    with pytest.raises(InvalidValueError, match=option):
        switch_for(world, **{option: value})

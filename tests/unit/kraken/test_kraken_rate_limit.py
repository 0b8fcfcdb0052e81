"""The REST call counter: costs per method, decay per tier, and waiting for a slot (no real sleeping)."""

from __future__ import annotations

import asyncio

import pytest

from galfriday.adapters.kraken.rate_limit import (
    INTERMEDIATE,
    PRO,
    STARTER,
    TIERS,
    CallCounter,
    RateLimiter,
    call_cost,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("method", "cost"),
    [
        ("Balance", 1),
        ("BalanceEx", 1),
        ("OpenOrders", 1),
        ("ClosedOrders", 1),
        ("QueryOrders", 1),
        ("GetWebSocketsToken", 1),
        ("CancelAllOrdersAfter", 1),
        ("TradesHistory", 2),
        ("QueryTrades", 2),
        ("Ledgers", 2),
        ("QueryLedgers", 2),
        ("AddOrder", 0),
        ("CancelOrder", 0),
    ],
)
def test_each_private_method_costs_what_kraken_documents(method: str, cost: int) -> None:
    assert call_cost(method) == cost


def test_the_history_cost_can_be_raised_if_kraken_charges_more() -> None:
    assert call_cost("TradesHistory", history_cost=4) == 4


def test_the_tiers_are_kraken_s_documented_maxima_and_decays() -> None:
    assert (STARTER.max_counter, STARTER.decay_per_second) == (15, 0.33)
    assert (INTERMEDIATE.max_counter, INTERMEDIATE.decay_per_second) == (20, 0.5)
    assert (PRO.max_counter, PRO.decay_per_second) == (20, 1.0)
    assert set(TIERS) == {"starter", "intermediate", "pro"}


def test_calls_fit_until_the_maximum_then_must_wait() -> None:
    time = FakeTime()
    counter = CallCounter(PRO, now=time)
    assert [counter.take(1) for _ in range(20)] == [0.0] * 20
    assert counter.take(1) == pytest.approx(1.0)
    assert counter.level() == pytest.approx(20)


def test_the_counter_decays_at_the_tier_rate() -> None:
    time = FakeTime()
    counter = CallCounter(INTERMEDIATE, now=time)
    for _ in range(10):
        counter.take(1)
    time.now += 4
    assert counter.level() == pytest.approx(8)
    time.now += 100
    assert counter.level() == 0


def test_a_history_call_on_a_nearly_full_counter_waits_for_two_units_of_decay() -> None:
    time = FakeTime()
    counter = CallCounter(INTERMEDIATE, now=time)
    for _ in range(20):
        counter.take(1)
    assert counter.wait_for(2) == pytest.approx(4.0)


def test_a_clock_stepping_back_does_not_refill_or_drain_the_counter() -> None:
    time = FakeTime()
    counter = CallCounter(PRO, now=time)
    counter.take(5)
    time.now -= 50
    assert counter.level() == pytest.approx(5)


def test_saturate_assumes_the_counter_is_full_after_kraken_refuses() -> None:
    time = FakeTime()
    counter = CallCounter(STARTER, now=time)
    counter.saturate()
    assert counter.wait_for(1) == pytest.approx(1 / 0.33)


def test_a_cost_above_the_maximum_fits_once_the_counter_is_empty() -> None:
    time = FakeTime()
    counter = CallCounter(STARTER, now=time)
    assert counter.take(30) == 0.0
    assert counter.wait_for(30) == pytest.approx(30 / 0.33)


async def test_acquire_waits_for_a_slot_instead_of_failing() -> None:
    time = FakeTime()
    limiter = RateLimiter(CallCounter(PRO, now=time), time.sleep)
    for _ in range(20):
        assert await limiter.acquire("Balance") == 0.0
    waited = await limiter.acquire("TradesHistory")
    assert waited == pytest.approx(2.0)
    assert time.now == pytest.approx(1002.0)


async def test_uncounted_calls_never_wait() -> None:
    time = FakeTime()
    counter = CallCounter(PRO, now=time)
    counter.saturate()
    limiter = RateLimiter(counter, time.sleep)
    assert await limiter.acquire("AddOrder") == 0.0
    assert await limiter.acquire("CancelOrder") == 0.0
    assert time.sleeps == []


async def test_concurrent_callers_are_spaced_at_the_decay_rate() -> None:
    time = FakeTime()
    limiter = RateLimiter(CallCounter(PRO, now=time), time.sleep)
    await asyncio.gather(*(limiter.acquire("Balance") for _ in range(25)))
    assert time.now == pytest.approx(1005.0)
    assert limiter.counter.level() == pytest.approx(20)


async def test_a_clock_coarser_than_the_wait_cannot_trap_a_caller() -> None:
    """Clocks that move in whole microseconds (datetime) must not leave a caller waiting forever."""
    time = FakeTime()
    time.now = 1_688_669_448.0

    async def coarse_sleep(seconds: float) -> None:
        time.now = round(time.now + seconds, 6)
        await asyncio.sleep(0)

    counter = CallCounter(STARTER, now=time)
    counter.saturate()
    limiter = RateLimiter(counter, coarse_sleep)
    await asyncio.wait_for(limiter.acquire("Balance"), timeout=2)
    await asyncio.wait_for(limiter.acquire("Balance"), timeout=2)

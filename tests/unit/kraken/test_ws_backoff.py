"""Reconnection delays: immediate after a drop, then exponential with full jitter, capped, reset once up;
and the connection budget that keeps every endpoint under Kraken's per-IP connection-rate limit."""

from __future__ import annotations

import random
from typing import Any

import pytest

from galfriday.adapters.kraken.ws_backoff import Backoff, BackoffPolicy, ConnectionBudget
from galfriday.errors import InvalidValueError


def delays(backoff: Backoff, count: int) -> list[float]:
    return [backoff.next_delay() for _ in range(count)]


def test_the_first_attempt_after_a_drop_is_immediate() -> None:
    assert Backoff(BackoffPolicy(), rng=random.Random(1)).next_delay() == 0.0


def test_later_delays_stay_below_an_exponentially_growing_cap() -> None:
    policy = BackoffPolicy(initial=0.5, maximum=30.0, multiplier=2.0, immediate_retries=1)
    for seed in range(200):
        got = delays(Backoff(policy, rng=random.Random(seed)), 10)
        caps = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
        assert all(0.0 <= delay <= cap for delay, cap in zip(got, caps, strict=True)), (seed, got)


def test_delays_never_exceed_the_maximum() -> None:
    backoff = Backoff(BackoffPolicy(initial=1.0, maximum=5.0), rng=random.Random(7))
    assert max(delays(backoff, 500)) <= 5.0


def test_delays_are_jittered_over_the_whole_range_below_the_cap() -> None:
    policy = BackoffPolicy(initial=8.0, maximum=8.0, immediate_retries=0)
    got = [Backoff(policy, rng=random.Random(seed)).next_delay() for seed in range(400)]
    assert min(got) < 1.0
    assert max(got) > 7.0
    assert len(set(got)) == len(got)


def test_reset_brings_back_the_immediate_retry() -> None:
    backoff = Backoff(BackoffPolicy(initial=4.0, maximum=4.0), rng=random.Random(3))
    delays(backoff, 5)
    backoff.reset()
    assert backoff.attempts == 0
    assert backoff.next_delay() == 0.0


def test_maintenance_waits_at_least_the_floor() -> None:
    backoff = Backoff(BackoffPolicy(maintenance_floor=5.0), rng=random.Random(2))
    assert all(backoff.next_delay(maintenance=True) >= 5.0 for _ in range(20))


def test_the_same_seed_gives_the_same_delays() -> None:
    policy = BackoffPolicy()
    assert delays(Backoff(policy, rng=random.Random(9)), 8) == delays(
        Backoff(policy, rng=random.Random(9)), 8
    )


@pytest.mark.parametrize(
    "options",
    [{"initial": 0}, {"maximum": -1.0}, {"initial": 5.0, "maximum": 1.0}, {"multiplier": 0.5}],
)
def test_an_impossible_policy_is_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError):
        BackoffPolicy(**options)


def test_the_budget_allows_attempts_up_to_its_limit() -> None:
    budget = ConnectionBudget(limit=3, window=600.0)
    for now in (0.0, 1.0, 2.0):
        assert budget.wait(now) == 0.0
        budget.record(now)
    assert budget.wait(3.0) == pytest.approx(597.0)


def test_the_budget_frees_an_attempt_once_it_leaves_the_window() -> None:
    budget = ConnectionBudget(limit=2, window=10.0)
    budget.record(0.0)
    budget.record(4.0)
    assert budget.wait(9.0) == pytest.approx(1.0)
    assert budget.wait(10.0) == 0.0
    assert budget.used(10.0) == 1


def test_a_budget_without_attempts_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        ConnectionBudget(limit=0)

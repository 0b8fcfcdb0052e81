"""Kraken's REST call-rate counter, modelled on our side so calls wait for a slot instead of failing.

Per API key a counter starts at 0; each private call adds 1, ledger and trade-history calls add 2, and
AddOrder/CancelOrder are not counted (the trading engine limits them per pair). The counter decays at the
tier's rate; a call whose cost would lift it over the tier's maximum waits until enough has decayed.
`CallCounter` is pure arithmetic over an injected clock; `RateLimiter` adds the waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from attrs import frozen

__all__ = [
    "HISTORY_METHODS",
    "INTERMEDIATE",
    "PRO",
    "STARTER",
    "TIERS",
    "UNCOUNTED_METHODS",
    "CallCounter",
    "RateLimiter",
    "RateTier",
    "call_cost",
]

_EPSILON = 1e-6
"""Counter units treated as zero: clocks read as float seconds near 1.7e9 are only exact to ~1e-7 s."""
_MIN_SLEEP = 0.001


@frozen
class RateTier:
    """A verification tier's counter maximum and decay per second."""

    name: str
    max_counter: float
    decay_per_second: float


STARTER = RateTier("starter", 15, 0.33)
INTERMEDIATE = RateTier("intermediate", 20, 0.5)
PRO = RateTier("pro", 20, 1.0)
TIERS = {tier.name: tier for tier in (STARTER, INTERMEDIATE, PRO)}

HISTORY_METHODS = frozenset({"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"})
UNCOUNTED_METHODS = frozenset(
    {"AddOrder", "AddOrderBatch", "AmendOrder", "EditOrder", "CancelOrder", "CancelOrderBatch"}
)


def call_cost(method: str, *, history_cost: int = 2) -> int:
    """What a private call adds to the counter (Kraken documents +2 for ledger/trade history)."""
    if method in UNCOUNTED_METHODS:
        return 0
    return history_cost if method in HISTORY_METHODS else 1


class CallCounter:
    """The counter's level at the clock's current time; `now()` returns seconds (any monotonic origin)."""

    def __init__(self, tier: RateTier, *, now: Callable[[], float]) -> None:
        self.tier = tier
        self._now = now
        self._level = 0.0
        self._at = now()

    def level(self) -> float:
        """The counter now, after decay."""
        current = self._now()
        elapsed = max(0.0, current - self._at)
        self._level = max(0.0, self._level - elapsed * self.tier.decay_per_second)
        self._at = max(self._at, current)
        return self._level

    def wait_for(self, cost: float) -> float:
        """Seconds until a call of `cost` fits (a cost above the maximum fits once the counter is empty)."""
        level = self.level()
        excess = level if cost > self.tier.max_counter else level + cost - self.tier.max_counter
        return 0.0 if excess <= _EPSILON else excess / self.tier.decay_per_second

    def take(self, cost: float) -> float:
        """Count a call of `cost` and return 0 if it fits now; otherwise count nothing and return the wait."""
        wait = self.wait_for(cost)
        if wait == 0.0:
            self._level += cost
        return wait

    def saturate(self) -> None:
        """Kraken said the limit is exceeded: assume the counter is full."""
        self._level = max(self.level(), self.tier.max_counter)


class RateLimiter:
    """Callers await a slot in turn (first come, first served); nothing fails for rate on our side."""

    def __init__(
        self,
        counter: CallCounter,
        sleep: Callable[[float], Awaitable[None]],
        *,
        history_cost: int = 2,
    ) -> None:
        self.counter = counter
        self._sleep = sleep
        self._history_cost = history_cost
        self._lock = asyncio.Lock()

    async def acquire(self, method: str) -> float:
        """Wait until `method` fits under the counter, count it, and return the seconds waited."""
        cost = call_cost(method, history_cost=self._history_cost)
        if cost == 0:
            return 0.0
        waited = 0.0
        async with self._lock:
            while (wait := self.counter.take(cost)) > 0.0:
                wait = max(wait, _MIN_SLEEP)
                await self._sleep(wait)
                waited += wait
        return waited

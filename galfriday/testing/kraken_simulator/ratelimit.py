"""Kraken's REST call-rate counter, per API key: +1 per call (more for history calls), decaying per second;
a call that would take the counter past the tier's maximum is refused with `EAPI:Rate limit exceeded`.
AddOrder and the cancel calls use the trading engine's limiter instead and cost nothing here."""

from __future__ import annotations

from datetime import datetime

from attrs import define, frozen


@frozen
class RateTier:
    """A verification tier's REST counter: its maximum and its decay per second."""

    name: str
    maximum: float
    decay_per_second: float
    history_cost: int = 4
    """Kraken's ledger and trade-history calls cost more; +4 in the 2026 docs (+2 in older copies)."""


TIERS = {
    "starter": RateTier("starter", 15, 0.33),
    "intermediate": RateTier("intermediate", 20, 0.5),
    "pro": RateTier("pro", 20, 1.0),
}

HISTORY_METHODS = frozenset({"TradesHistory", "QueryTrades", "Ledgers", "QueryLedgers"})
FREE_METHODS = frozenset({"AddOrder", "CancelOrder", "CancelAll", "CancelAllOrdersAfter", "AddOrderBatch"})


@define
class _Counter:
    value: float
    at: datetime


class RestRateLimiter:
    """One counter per API key; `tier=None` never refuses."""

    def __init__(self, tier: RateTier | None) -> None:
        self.tier = tier
        self._counters: dict[str, _Counter] = {}

    def cost(self, method: str) -> int:
        if self.tier is None or method in FREE_METHODS:
            return 0
        return self.tier.history_cost if method in HISTORY_METHODS else 1

    def allow(self, api_key: str, method: str, now: datetime) -> bool:
        """Count one call; False (and nothing counted) if it would exceed the tier's maximum."""
        cost = self.cost(method)
        if self.tier is None or cost == 0:
            return True
        counter = self._counters.setdefault(api_key, _Counter(0.0, now))
        elapsed = max(0.0, (now - counter.at).total_seconds())
        counter.value = max(0.0, counter.value - elapsed * self.tier.decay_per_second)
        counter.at = now
        if counter.value + cost > self.tier.maximum:
            return False
        counter.value += cost
        return True

    def value(self, api_key: str) -> float:
        counter = self._counters.get(api_key)
        return 0.0 if counter is None else counter.value

"""Query monitoring: every repository call is timed by statement name.

Calls slower than the threshold are logged with the statement's name and duration; counts, totals and a
latency histogram per statement are kept for the metrics endpoint (Prometheus-style cumulative buckets).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from attrs import define, field

BUCKETS_SECONDS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)
"""Upper bounds of the latency histogram; a final +Inf bucket is implied by `count`."""


@define
class QueryStats:
    """Latency of one statement: count, total and max seconds, failures, and cumulative bucket counts."""

    count: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    max_seconds: float = 0.0
    buckets: list[int] = field(factory=lambda: [0] * len(BUCKETS_SECONDS))

    def observe(self, seconds: float, *, failed: bool = False) -> None:
        self.count += 1
        self.failures += failed
        self.total_seconds += seconds
        self.max_seconds = max(self.max_seconds, seconds)
        for index, bound in enumerate(BUCKETS_SECONDS):
            if seconds <= bound:
                self.buckets[index] += 1

    def copy(self) -> QueryStats:
        return QueryStats(self.count, self.failures, self.total_seconds, self.max_seconds, list(self.buckets))


class QueryMonitor:
    """Times named statements; logs the slow ones; keeps per-statement statistics."""

    def __init__(self, slow_threshold_ms: float, logger: logging.Logger | None = None) -> None:
        self.slow_threshold_seconds = slow_threshold_ms / 1000.0
        self._log = logger or logging.getLogger("galfriday.store.queries")
        self._stats: dict[str, QueryStats] = {}

    @contextmanager
    def timed(self, statement: str) -> Iterator[None]:
        """Time the block as one call of `statement`; failures are counted and re-raised."""
        started = time.perf_counter()
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self.observe(statement, time.perf_counter() - started, failed=failed)

    def observe(self, statement: str, seconds: float, *, failed: bool = False) -> None:
        stats = self._stats.get(statement)
        if stats is None:
            stats = self._stats[statement] = QueryStats()
        stats.observe(seconds, failed=failed)
        if seconds >= self.slow_threshold_seconds:
            self._log.warning(
                "slow query %s took %.1f ms (threshold %.1f ms)",
                statement,
                seconds * 1000.0,
                self.slow_threshold_seconds * 1000.0,
                extra={"statement": statement, "duration_ms": seconds * 1000.0},
            )

    def snapshot(self) -> dict[str, QueryStats]:
        """A copy of the statistics per statement name."""
        return {name: stats.copy() for name, stats in self._stats.items()}

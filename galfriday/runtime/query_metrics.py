"""Expose a store's `QueryMonitor` statistics as Prometheus metrics, read at scrape time.

The monitor already keeps per-statement counts, sums and cumulative buckets; this collector only renames them,
so a scrape costs one snapshot and timing a query costs nothing extra.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from galfriday.adapters.sql.monitoring import BUCKETS_SECONDS, QueryMonitor


class QueryLatencyCollector(Collector):
    """`galfriday_query_duration_seconds{statement}` and `galfriday_query_failures_total{statement}`."""

    def __init__(self, monitor: QueryMonitor) -> None:
        self._monitor = monitor

    def collect(self) -> Iterator[Metric]:
        latency = HistogramMetricFamily(
            "galfriday_query_duration_seconds",
            "Store statement latency, by statement name.",
            labels=["statement"],
        )
        failures = CounterMetricFamily(
            "galfriday_query_failures",
            "Store statements that raised, by statement name.",
            labels=["statement"],
        )
        for statement, stats in sorted(self._monitor.snapshot().items()):
            buckets = [
                (str(bound), float(count))
                for bound, count in zip(BUCKETS_SECONDS, stats.buckets, strict=True)
            ]
            buckets.append(("+Inf", float(stats.count)))
            latency.add_metric([statement], buckets, stats.total_seconds)
            failures.add_metric([statement], float(stats.failures))
        yield latency
        yield failures

    def describe(self) -> Iterator[Metric]:
        return iter(())  # statements are only known at scrape time

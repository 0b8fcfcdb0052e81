"""The store's QueryMonitor appears on /metrics as a Prometheus histogram per statement."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from galfriday.adapters.sql.monitoring import QueryMonitor
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.query_metrics import QueryLatencyCollector


def samples(metrics: RuntimeMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_each_statement_is_a_histogram_with_cumulative_buckets_sum_and_count() -> None:
    monitor = QueryMonitor(slow_threshold_ms=1000)
    monitor.observe("orders.save", 0.002)
    monitor.observe("orders.save", 0.3)
    monitor.observe("executions.add", 0.0004, failed=True)
    metrics = RuntimeMetrics()
    metrics.registry.register(QueryLatencyCollector(monitor))
    found = samples(metrics)
    save = (("statement", "orders.save"),)
    assert found[("galfriday_query_duration_seconds_count", save)] == 2
    assert found[("galfriday_query_duration_seconds_sum", save)] == 0.302
    assert found[("galfriday_query_duration_seconds_bucket", (("le", "0.0025"), *save))] == 1
    assert found[("galfriday_query_duration_seconds_bucket", (("le", "0.5"), *save))] == 2
    assert found[("galfriday_query_duration_seconds_bucket", (("le", "+Inf"), *save))] == 2
    assert found[("galfriday_query_failures_total", (("statement", "executions.add"),))] == 1
    assert found[("galfriday_query_failures_total", save)] == 0


def test_statements_run_after_registration_appear_at_the_next_scrape() -> None:
    monitor = QueryMonitor(slow_threshold_ms=1000)
    metrics = RuntimeMetrics()
    metrics.registry.register(QueryLatencyCollector(monitor))
    assert not any(name.startswith("galfriday_query_duration") for name, _ in samples(metrics))
    monitor.observe("balances.get", 0.001)
    assert samples(metrics)[("galfriday_query_duration_seconds_count", (("statement", "balances.get"),))] == 1

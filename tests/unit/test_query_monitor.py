"""Query monitoring: every call counted per statement, slow ones logged with name and duration."""

from __future__ import annotations

import logging

import pytest

from galfriday.adapters.sql.monitoring import BUCKETS_SECONDS, QueryMonitor


def test_each_call_is_counted_under_its_statement_name() -> None:
    monitor = QueryMonitor(slow_threshold_ms=1000)
    for _ in range(3):
        with monitor.timed("orders.get"):
            pass
    with monitor.timed("executions.add"):
        pass
    stats = monitor.snapshot()
    assert stats["orders.get"].count == 3
    assert stats["executions.add"].count == 1


def test_a_slow_call_is_logged_with_its_name_and_duration(caplog: pytest.LogCaptureFixture) -> None:
    monitor = QueryMonitor(slow_threshold_ms=50)
    with caplog.at_level(logging.WARNING):
        monitor.observe("candles.range", 0.120)
        monitor.observe("candles.range", 0.010)
    assert len(caplog.records) == 1
    assert "candles.range took 120.0 ms" in caplog.records[0].getMessage()


def test_the_histogram_is_cumulative() -> None:
    monitor = QueryMonitor(slow_threshold_ms=10_000)
    monitor.observe("q", 0.0004)
    monitor.observe("q", 0.003)
    monitor.observe("q", 9.0)
    stats = monitor.snapshot()["q"]
    assert stats.buckets[0] == 1
    assert stats.buckets[BUCKETS_SECONDS.index(0.005)] == 2
    assert stats.buckets[-1] == 2
    assert stats.count == 3
    assert stats.max_seconds == 9.0


def test_a_failing_call_is_counted_as_a_failure_and_re_raised() -> None:
    monitor = QueryMonitor(slow_threshold_ms=1000)
    with pytest.raises(RuntimeError), monitor.timed("orders.add"):
        raise RuntimeError("boom")
    assert monitor.snapshot()["orders.add"].failures == 1


def test_a_snapshot_does_not_change_with_later_calls() -> None:
    monitor = QueryMonitor(slow_threshold_ms=1000)
    monitor.observe("q", 0.001)
    before = monitor.snapshot()
    monitor.observe("q", 0.001)
    assert before["q"].count == 1

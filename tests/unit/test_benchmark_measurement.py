"""The benchmark harness: percentiles, summaries, targets, the JSON line's shape and the two outputs.

No timed assertions: only the arithmetic and the format are checked, never how fast anything ran.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "harness.py"


def _load_harness() -> ModuleType:
    name = "galfriday_benchmarks_harness"  # benchmarks/ is a folder of scripts, not a package
    spec = importlib.util.spec_from_file_location(name, HARNESS_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


harness = _load_harness()

REQUIRED_KEYS = ("metric", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met")


# --- percentiles and summaries -----------------------------------------------------------------------------


def test_percentile_interpolates_between_the_closest_ranks() -> None:
    assert harness.percentile([1, 2, 3, 4], 50) == 2.5
    assert harness.percentile([4, 1, 3, 2], 50) == 2.5  # order of the input does not matter
    assert harness.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert harness.percentile([1, 2, 3, 4, 5], 25) == 2


def test_percentile_extremes_and_a_single_value() -> None:
    values = [7.0, 3.0, 9.0]
    assert harness.percentile(values, 0) == 3.0
    assert harness.percentile(values, 100) == 9.0
    assert harness.percentile([42.0], 50) == 42.0
    assert harness.percentile([42.0], 99) == 42.0


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_refuses_a_rank_outside_0_to_100(q: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        harness.percentile([1.0, 2.0], q)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        harness.percentile([], 50)


def test_summary_holds_median_p99_extremes_and_spread() -> None:
    summary = harness.Summary.of([3.0, 1.0, 2.0, 4.0, 5.0])
    assert summary.n == 5
    assert summary.p50 == summary.median == 3.0
    assert summary.p99 == pytest.approx(4.96)
    assert (summary.minimum, summary.maximum) == (1.0, 5.0)
    assert summary.spread == pytest.approx(4 / 3)


def test_summary_scales_every_figure_but_the_count() -> None:
    ms = harness.Summary.of([0.001, 0.002, 0.003]).scaled(1000)
    assert ms.n == 3
    assert ms.p50 == pytest.approx(2.0)
    assert (ms.minimum, ms.maximum) == (pytest.approx(1.0), pytest.approx(3.0))


def test_rates_are_items_per_second_of_each_repeat() -> None:
    assert harness.rates(1000, [0.5, 2.0]) == [2000.0, 500.0]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(123_456.7, 123_500), (182_000.0, 182_000), (2.34567, 2.346), (0.00123456, 0.001235), (0.0, 0.0)],
)
def test_significant_keeps_four_digits(value: float, shown: float) -> None:
    assert harness.significant(value) == shown


def test_significant_gives_whole_numbers_for_large_values() -> None:
    assert isinstance(harness.significant(123_456.7), int)
    assert isinstance(harness.significant(2.34567), float)


# --- targets -----------------------------------------------------------------------------------------------


def test_target_texts() -> None:
    assert harness.Target.ratio_at_least(0.8).text == ">= 0.8"
    assert harness.Target.value_at_least(200_000, "rows/s").text == ">= 200000 rows/s"
    assert harness.Target.value_below(3, "ms").text == "< 3 ms"


def test_a_ratio_target_judges_the_ratio_and_a_value_target_the_value() -> None:
    ratio = harness.Target.ratio_at_least(0.8)
    assert ratio.met(value=1.0, ratio=0.8)
    assert not ratio.met(value=1_000_000, ratio=0.79)
    below = harness.Target.value_below(3, "ms")
    assert below.met(value=2.99, ratio=50)
    assert not below.met(value=3.0, ratio=0.1)


# --- figures and the JSON line -----------------------------------------------------------------------------


def test_a_figure_line_has_exactly_the_keys_of_benchmarks_md_in_order() -> None:
    line = harness.figure(
        "candle_ingest",
        150_000,
        "rows/s",
        "asyncpg_copy_plain_table",
        200_000,
        harness.Target.ratio_at_least(0.8),
    ).json_line()
    document = json.loads(line)
    assert tuple(document) == REQUIRED_KEYS
    assert "\n" not in line
    assert document == {
        "metric": "candle_ingest",
        "value": 150_000,
        "unit": "rows/s",
        "baseline": "asyncpg_copy_plain_table",
        "baseline_value": 200_000,
        "ratio": 0.75,
        "target": ">= 0.8",
        "met": False,
    }


def test_the_ratio_is_value_over_baseline_for_latencies_too() -> None:
    latency = harness.figure("q_p50", 4.0, "ms", "asyncpg_fetch", 2.0, harness.Target.value_below(3, "ms"))
    assert latency.ratio == 2.0
    assert latency.target == "< 3 ms"
    assert latency.met is False


def test_a_figure_without_target_reports_null_target_and_null_met() -> None:
    document = json.loads(harness.figure("order_save_p99", 1.5, "ms", "asyncpg", 1.2).json_line())
    assert document["target"] is None
    assert document["met"] is None
    assert document["ratio"] == 1.25


def test_met_agrees_with_the_rounded_numbers_printed_beside_it() -> None:
    close_call = harness.figure("x", 79_999.6, "rows/s", "raw", 100_000, harness.Target.ratio_at_least(0.8))
    assert (close_call.value, close_call.ratio, close_call.met) == (80_000, 0.8, True)


def test_the_ratio_has_three_decimals_and_the_values_four_significant_digits() -> None:
    entry = harness.figure("x", 117_349.2, "rows/s", "raw", 144_912.8)
    assert entry.value == 117_300
    assert entry.baseline_value == 144_900
    assert entry.ratio == round(117_300 / 144_900, 3)


def test_a_zero_baseline_gives_an_infinite_ratio_not_a_crash() -> None:
    assert math.isinf(harness.figure("x", 1.0, "ms", "raw", 0.0).ratio)


# --- the report --------------------------------------------------------------------------------------------


def test_report_puts_json_lines_on_stdout_and_the_table_on_stderr() -> None:
    report = harness.Report("a title")
    report.add(
        harness.figure(
            "fast_p50", 2.0, "ms", "raw", 1.0, harness.Target.value_below(3, "ms"), detail="n=10; min 1 ms"
        )
    )
    report.add(harness.figure("slow_rate", 10.0, "rows/s", "raw", 100.0, harness.Target.ratio_at_least(0.8)))
    report.add(harness.figure("plain", 1.0, "ms", "raw", 1.0))
    report.note("loaded 5 rows")
    out, err = io.StringIO(), io.StringIO()
    report.emit(out, err)

    lines = out.getvalue().splitlines()
    assert [json.loads(line)["metric"] for line in lines] == ["fast_p50", "slow_rate", "plain"]
    assert all(tuple(json.loads(line)) == REQUIRED_KEYS for line in lines)
    table = err.getvalue()
    assert table.startswith("a title")
    assert "n=10; min 1 ms" in table  # the spread goes to the human table ...
    assert "n=10" not in out.getvalue()  # ... never into the JSON
    assert "loaded 5 rows" in table
    rows = {line.split()[0]: line for line in table.splitlines() if line[:1].isalpha()}
    assert rows["fast_p50"].rstrip().endswith("yes")
    assert rows["slow_rate"].rstrip().endswith("NO")
    assert rows["plain"].rstrip().endswith("-")


# --- timing and configuration ------------------------------------------------------------------------------


async def test_latencies_discard_the_warm_up_and_time_each_repeat() -> None:
    calls: list[int] = []

    async def call(i: int) -> None:
        calls.append(i)

    samples = await harness.latencies(call, warmup=3, repeats=5)
    assert calls == list(range(8))
    assert len(samples) == 5
    assert all(seconds >= 0 for seconds in samples)


async def test_timed_returns_seconds() -> None:
    async def nothing() -> None:
        return None

    assert await harness.timed(nothing) >= 0


def test_admin_dsn_prefers_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GALFRIDAY_TEST_PG_DSN", raising=False)
    assert harness.admin_dsn(None) == harness.DEFAULT_ADMIN_DSN
    monkeypatch.setenv("GALFRIDAY_TEST_PG_DSN", "postgresql://env@db:5432/postgres")
    assert harness.admin_dsn(None) == "postgresql://env@db:5432/postgres"
    assert harness.admin_dsn("postgresql://cli@h/postgres") == "postgresql://cli@h/postgres"


def test_with_database_changes_only_the_database() -> None:
    dsn = "postgresql://u:p@h:5433/postgres?sslmode=disable"
    assert harness.with_database(dsn, "scratch") == "postgresql://u:p@h:5433/scratch?sslmode=disable"

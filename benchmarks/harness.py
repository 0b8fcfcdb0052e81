"""The benchmark harness: a scratch Postgres database, timing, statistics and the report of benchmarks.md.

Every script measures its subject against a baseline in the same run, on the same data, and reports each figure
twice: as a human table on stderr, and as one JSON object per line on stdout with exactly the keys
`metric, value, unit, baseline, baseline_value, ratio, target, met`. `ratio` is always `value / baseline_value`
(so above 1 is faster for a rate and slower for a latency); `target` is a text such as `">= 0.8"` (a bound on
the ratio) or `"< 3 ms"` (a bound on the value, with its unit), or null for a figure reported without a target,
and `met` is then null too. `met` is computed from the rounded numbers printed beside it, so a line always
agrees with itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import operator
import os
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO
from urllib.parse import urlsplit, urlunsplit

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
"""The server the scripts use unless told otherwise (`--dsn`, or `GALFRIDAY_TEST_PG_DSN`)."""

QUIET_MS = 3_600_000.0
"""`slow_query_ms` for the stores under test: large batches are slow by design, and logging them is noise."""

FIGURE_KEYS = ("metric", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met")
"""The keys of every JSON line, in this order (docs: /work/shared/design/benchmarks.md)."""

clock = time.perf_counter
"""The clock every duration is read from: monotonic, with the best resolution available."""


# --- statistics --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) by linear interpolation between the closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class Summary:
    """The distribution of repeated measurements: the median (p50), p99 and the extremes."""

    n: int
    p50: float
    p99: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(
            n=len(values),
            p50=percentile(values, 50),
            p99=percentile(values, 99),
            minimum=min(values),
            maximum=max(values),
        )

    @property
    def median(self) -> float:
        return self.p50

    @property
    def spread(self) -> float:
        """(max - min) / median: how far apart the repeats were, relative to the figure quoted."""
        return (self.maximum - self.minimum) / self.p50 if self.p50 else math.inf

    def scaled(self, factor: float) -> Summary:
        """The same distribution in another unit (seconds to milliseconds: 1000)."""
        return Summary(
            self.n, self.p50 * factor, self.p99 * factor, self.minimum * factor, self.maximum * factor
        )


def rates(count: int, durations: Sequence[float]) -> list[float]:
    """Items per second of each repeat that handled `count` items in `durations[i]` seconds."""
    return [count / seconds for seconds in durations]


def significant(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits, a whole number when it has no decimals left."""
    if value == 0 or not math.isfinite(value):
        return value
    places = digits - 1 - math.floor(math.log10(abs(value)))
    return round(value, places) if places > 0 else int(round(value, places))


# --- timing ------------------------------------------------------------------------------------------------


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    """Seconds one awaited call took."""
    start = clock()
    await call()
    return clock() - start


async def latencies(call: Callable[[int], Awaitable[Any]], *, warmup: int, repeats: int) -> list[float]:
    """Run `call(i)` `warmup` times untimed, then `repeats` times timed; the seconds of each timed call."""
    for i in range(warmup):
        await call(i)
    samples = []
    for i in range(warmup, warmup + repeats):
        start = clock()
        await call(i)
        samples.append(clock() - start)
    return samples


def freeze_heap() -> None:
    """Collect, then move every object alive now out of the garbage collector's view.

    Call it once the data set is built and before timing: otherwise each full collection during a timed
    region walks the benchmark's own millions of rows, a cost of holding the data set, not of the code timed.
    """
    gc.collect()
    gc.freeze()


# --- targets and figures -----------------------------------------------------------------------------------

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Target:
    """A bound on a figure's ratio to its baseline, or on its value (then written with the unit)."""

    subject: Literal["ratio", "value"]
    comparison: Literal[">=", ">", "<=", "<"]
    bound: float
    unit: str = ""

    @classmethod
    def ratio_at_least(cls, bound: float) -> Target:
        return cls("ratio", ">=", bound)

    @classmethod
    def value_at_least(cls, bound: float, unit: str) -> Target:
        return cls("value", ">=", bound, unit)

    @classmethod
    def value_below(cls, bound: float, unit: str) -> Target:
        return cls("value", "<", bound, unit)

    @property
    def text(self) -> str:
        bound = f"{self.bound:g}" if abs(self.bound) < 1e6 else f"{self.bound:.0f}"
        if self.subject == "ratio":
            return f"{self.comparison} {bound}"
        return f"{self.comparison} {bound} {self.unit}".rstrip()

    def met(self, value: float, ratio: float) -> bool:
        measured = ratio if self.subject == "ratio" else value
        return _COMPARE[self.comparison](measured, self.bound)


@dataclass(frozen=True)
class Figure:
    """One reported figure: a measured value beside its baseline, measured in the same run on the same data."""

    metric: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    ratio: float
    target: str | None
    met: bool | None
    detail: str = field(default="", compare=False)
    """The spread (repeats, p99, extremes) for the human table; not part of the JSON line."""

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in FIGURE_KEYS}

    def json_line(self) -> str:
        return json.dumps(self.as_dict())


def figure(
    metric: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float,
    target: Target | None = None,
    detail: str = "",
) -> Figure:
    """A figure with its ratio (`value / baseline_value`), rounded, and whether it meets `target`."""
    shown_value = significant(value)
    shown_baseline = significant(baseline_value)
    ratio = round(shown_value / shown_baseline, 3) if shown_baseline else math.inf
    return Figure(
        metric=metric,
        value=shown_value,
        unit=unit,
        baseline=baseline,
        baseline_value=shown_baseline,
        ratio=ratio,
        target=None if target is None else target.text,
        met=None if target is None else target.met(shown_value, ratio),
        detail=detail,
    )


def latency_detail(store: Summary, baseline: Summary, scale: float = 1000.0, unit: str = "ms") -> str:
    """The human-table note for a pair of latency distributions (in seconds, shown in `unit`)."""
    ours, theirs = store.scaled(scale), baseline.scaled(scale)
    return (
        f"n={ours.n}; min {ours.minimum:.3g}, max {ours.maximum:.3g} {unit}; "
        f"baseline min {theirs.minimum:.3g}, max {theirs.maximum:.3g} {unit}"
    )


def rate_detail(store: Summary, baseline: Summary) -> str:
    """The human-table note for a pair of throughput distributions: the extremes of the repeats."""
    return (
        f"repeats={store.n}; min {store.minimum:,.0f}, max {store.maximum:,.0f}; "
        f"baseline min {baseline.minimum:,.0f}, max {baseline.maximum:,.0f}"
    )


# --- the report ----------------------------------------------------------------------------------------------


class Report:
    """Figures collected during a run, then printed: the table on stderr, the JSON lines on stdout."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.figures: list[Figure] = []
        self.notes: list[str] = []

    def add(self, entry: Figure) -> Figure:
        self.figures.append(entry)
        return entry

    def note(self, text: str) -> None:
        """A line printed under the table (sizes, settings, load times)."""
        self.notes.append(text)

    def table(self) -> str:
        header = ("metric", "value", "unit", "baseline", "baseline value", "ratio", "target", "met")
        rows = [
            (
                f.metric,
                _number(f.value),
                f.unit,
                f.baseline,
                _number(f.baseline_value),
                f"{f.ratio:.3f}",
                f.target or "-",
                {True: "yes", False: "NO", None: "-"}[f.met],
            )
            for f in self.figures
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [self.title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        for f, row in zip(self.figures, rows, strict=True):
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
            if f.detail:
                lines.append(f"    {f.detail}")
        lines.extend(self.notes)
        return "\n".join(lines)

    def emit(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        out = out or sys.stdout
        err = err or sys.stderr
        print(self.table(), file=err, flush=True)
        for entry in self.figures:
            print(entry.json_line(), file=out, flush=True)


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def progress(text: str) -> None:
    """A progress line on stderr (stdout carries only the JSON figures)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the scratch database ----------------------------------------------------------------------------------


def admin_dsn(given: str | None = None) -> str:
    """The server to benchmark on: `--dsn`, else `GALFRIDAY_TEST_PG_DSN`, else the local default."""
    return given or os.environ.get("GALFRIDAY_TEST_PG_DSN") or DEFAULT_ADMIN_DSN


def with_database(dsn: str, database: str) -> str:
    """`dsn` pointing at another database on the same server."""
    return urlunsplit(urlsplit(dsn)._replace(path="/" + database))


@contextmanager
def scratch_database(admin: str, purpose: str) -> Iterator[str]:
    """Create a uniquely named database, migrate it with the project's migrations, yield its DSN, drop it.

    The drop also happens when the benchmark fails or is interrupted (Ctrl-C, or SIGTERM through `run`); it
    terminates any session still connected first.
    """
    import psycopg
    from psycopg import sql

    from galfriday.adapters.sql.migrations import migrate

    name = f"galfriday_bench_{purpose}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = with_database(admin, name)
    try:
        migrate("postgres", dsn)
        progress(f"scratch database {name} created and migrated")
        yield dsn
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        progress(f"scratch database {name} dropped")


# --- the command line --------------------------------------------------------------------------------------


def arguments(description: str, *, seeded: bool = True) -> argparse.ArgumentParser:
    """The options every benchmark takes (`--seed` if it generates random data); scripts add their sizes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: finishes in well under a minute (for CI and tests)"
    )
    parser.add_argument(
        "--dsn",
        help="admin DSN of the Postgres server; a scratch database is created and dropped on it "
        f"(default: $GALFRIDAY_TEST_PG_DSN or {DEFAULT_ADMIN_DSN})",
    )
    if seeded:
        parser.add_argument("--seed", type=int, default=20261124, help="seed of the generated data")
    return parser


def run(main: Callable[[], None]) -> int:
    """Run a benchmark's `main`; SIGTERM ends it like Ctrl-C, so its scratch database is still dropped."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        main()
    except KeyboardInterrupt:
        progress("interrupted")
        return 130
    return 0

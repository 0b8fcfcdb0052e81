"""Each benchmark script runs with `--quick` against a real Postgres: it exits 0, prints well-formed figure lines
on stdout, and drops the scratch database it made. The measured values are never asserted (benchmarks.md).

Like the Postgres suite (tests/integration/postgres/conftest.py), these skip when no server is reachable,
except under `CI=true`, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

REQUIRED_KEYS = ("metric", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met")

EXPECTED_METRICS = {
    "bench_candle_ingest.py": {"candle_ingest", "candle_ingest_rate"},
    "bench_candle_query.py": {
        "candle_query_day_p50",
        "candle_query_day_p99",
        "candle_query_day_unit_of_work_p50",
        "candle_query_day_unit_of_work_p99",
    },
    "bench_order_writes.py": {
        "order_save_p50",
        "order_save_p99",
        "execution_add_p50",
        "execution_add_p99",
        "execution_add_many",
    },
    "bench_prediction_writes.py": {
        f"prediction_{way}{size}"
        for way in ("add_many", "executemany", "unnest", "copy_staging")
        for size in ("", "_small", "_large")
    },
    "bench_model_registry.py": {
        *(
            f"registry_{op}_{store}_p50"
            for op in ("register", "promote", "rollback")
            for store in ("sqlite", "postgres")
        ),
        "onnx_run_sync_single_row_p50",
    },
}

SCRATCH = re.compile(r"scratch database (galfriday_bench_\w+) (created and migrated|dropped)")


@pytest.fixture(scope="module")
def postgres_server() -> str:
    """The admin DSN of a reachable server; skip (locally) or fail (CI=true) when there is none."""
    dsn = os.environ.get("GALFRIDAY_TEST_PG_DSN") or DEFAULT_ADMIN_DSN
    try:
        with psycopg.connect(dsn, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        where = urlsplit(dsn)._replace(netloc=urlsplit(dsn).hostname or "").geturl()
        message = f"no PostgreSQL server at {where} ({type(exc).__name__}); set GALFRIDAY_TEST_PG_DSN"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the Postgres tests cannot run: {message}")
        pytest.skip(message)
    return dsn


def database_exists(admin: str, name: str) -> bool:
    with psycopg.connect(admin, autocommit=True) as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        )


def scratch_name(stderr: str) -> str:
    names = {match.group(1) for match in SCRATCH.finditer(stderr)}
    assert len(names) == 1, stderr
    return names.pop()


@pytest.mark.parametrize("script", sorted(EXPECTED_METRICS))
def test_quick_run_prints_one_well_formed_figure_per_line(postgres_server: str, script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--dsn", postgres_server],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    lines = result.stdout.splitlines()
    assert lines, result.stderr
    metrics = set()
    for line in lines:
        figure = json.loads(line)
        assert tuple(figure) == REQUIRED_KEYS
        assert isinstance(figure["metric"], str)
        assert isinstance(figure["unit"], str)
        assert isinstance(figure["baseline"], str)
        for key in ("value", "baseline_value", "ratio"):
            assert isinstance(figure[key], int | float)
            assert not isinstance(figure[key], bool)
        if figure["target"] is None:
            assert figure["met"] is None
        else:
            assert isinstance(figure["target"], str)
            assert isinstance(figure["met"], bool)
        metrics.add(figure["metric"])
    assert metrics == EXPECTED_METRICS[script]

    assert "metric" in result.stderr  # the human table
    name = scratch_name(result.stderr)
    assert f"scratch database {name} dropped" in result.stderr
    assert not database_exists(postgres_server, name)


def test_an_interrupted_run_still_drops_its_scratch_database(postgres_server: str) -> None:
    process = subprocess.Popen(
        [sys.executable, str(BENCHMARKS / "bench_candle_ingest.py"), "--dsn", postgres_server],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen.append(line)
            if "created and migrated" in line or not line:
                break
        name = scratch_name("".join(seen))
        assert database_exists(postgres_server, name)
        process.terminate()  # SIGTERM while it generates its data
        out, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, rest
    assert out == ""
    assert f"scratch database {name} dropped" in rest
    assert not database_exists(postgres_server, name)

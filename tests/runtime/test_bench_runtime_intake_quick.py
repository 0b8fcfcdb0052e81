"""The intake benchmark runs with `--quick` and prints one well-formed figure per line (values never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("metric", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met")


def test_quick_run_prints_the_intake_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_runtime_intake.py"), "--quick", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["metric"] for f in figures] == ["intake_memory", "intake_sqlite"]
    for figure in figures:
        assert tuple(figure) == KEYS
        assert figure["unit"] == "events/s"
        assert figure["baseline"] == figure["metric"].replace("intake", "tracker_loop")
        assert isinstance(figure["met"], bool)
    assert "metric" in result.stderr  # the human table

"""The wheel carries the migrations and registers the built-in adapters through entry points."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_every_migration_and_the_entry_points(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("galfriday-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for source in (ROOT / "migrations").rglob("*.sql"):
        assert f"galfriday/_migrations/{source.relative_to(ROOT / 'migrations')}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[galfriday]" in text
    for plugin in ("memory", "sqlite", "postgres", "parquet"):
        assert f"{plugin} = galfriday.adapters." in text

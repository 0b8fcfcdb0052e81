"""The dependency rule holds, every module imports, and breaking the rule makes import-linter fail."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import galfriday

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _all_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(galfriday.__path__, prefix="galfriday.")]


@pytest.mark.parametrize("module", _all_modules())
def test_every_module_imports(module: str) -> None:
    importlib.import_module(module)


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_domain_import_of_asyncio_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "galfriday", tmp_path / "galfriday", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    orders = tmp_path / "galfriday" / "domain" / "orders.py"
    orders.write_text("import asyncio  # a deliberate violation\n" + orders.read_text())
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "galfriday.domain.orders -> asyncio" in result.stdout

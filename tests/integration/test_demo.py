"""`galfriday demo` (what `make demo` runs) end to end on the embedded SQLite store: the Kraken simulator and the
runtime in one process, every step's checks passing, and a store that holds what the summary says."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.domain.experiments import ExperimentStatus
from galfriday.domain.models import ModelStage
from galfriday.domain.timestamps import EPOCH

ENV = {
    "GALFRIDAY_DISABLE_PLUGINS": "",
    "GALFRIDAY_CONFIG": None,
    "GALFRIDAY_STORE": None,
    "GALFRIDAY_STORE_DSN": None,
    "COLUMNS": "200",
}


def run_demo(workdir: Path, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, ["demo", "--workdir", str(workdir)], env={**ENV, **(env or {})})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    workdir = tmp_path_factory.mktemp("demo")
    return run_demo(workdir), workdir


def test_the_demo_passes_every_check_and_exits_0(demo: tuple[Result, Path]) -> None:
    result, _ = demo
    assert result.exit_code == 0, result.output
    assert re.search(r"all \d+ checks passed", result.output), result.output
    assert "the store keeps everything across a restart" in result.output
    assert "FAILED" not in result.output


def test_the_demo_shows_each_step_as_it_runs(demo: tuple[Result, Path]) -> None:
    output = demo[0].output
    for n, title in enumerate(
        (
            "galfriday runs on the Kraken simulator",
            "Orders placed and filled",
            "A disconnect",
            "A discrepancy on each side",
            "A shadow A/B experiment",
            "Summary",
        ),
        start=1,
    ):
        assert f"{n}/6 {title}" in output


def test_the_summary_reports_fills_recovery_reconciliation_and_the_experiment(
    demo: tuple[Result, Path],
) -> None:
    output, workdir = demo[0].output, demo[1]
    assert "6: 5 filled, 1 new" in output
    assert "6 stored, each once" in output
    assert "2 fills recovered by REST backfill" in output
    assert "corrected balance:USD, for review balance:BTC; new orders halted" in output
    assert re.search(r"promote v2 over v1 after 300 shadow requests .*; v2 serves", output)
    assert f"sqlite {workdir / 'galfriday-demo.db'}" in output


def test_the_runtimes_health_endpoint_reports_the_recovery_and_then_the_halt(
    demo: tuple[Result, Path],
) -> None:
    output = demo[0].output
    assert (
        "GET /health: 200, healthy; stream healthy (1 reconnects); last reconciliation reconnect success, 0 found; "
        "order gate open" in output
    )
    assert "last reconciliation manual success, 2 found; order gate closed by reconciliation" in output


def test_the_store_keeps_what_the_summary_says(demo: tuple[Result, Path]) -> None:
    async def read() -> tuple[int, str, str, list[ExperimentStatus], dict[int, ModelStage]]:
        store = SqliteStore(demo[1] / "galfriday-demo.db")
        await store.start()
        try:
            async with store.unit_of_work() as uow:
                fills = await uow.executions.since(EPOCH)
                position = await uow.positions.get("BTC/USD")
                runs = await uow.reconciliations.recent_runs(10)
                experiments = await uow.experiments.list()
                versions = await uow.models.versions("btc-direction")
        finally:
            await store.close()
        assert position is not None
        kinds = ",".join(sorted(run.kind.value for run in runs))
        return (
            len(fills),
            str(position.quantity),
            kinds,
            [e.status for e in experiments],
            {v.version: v.stage for v in versions},
        )

    fills, position, kinds, experiments, stages = asyncio.run(read())
    assert fills == 6
    assert position == "0.05000000"
    assert kinds == "manual,reconnect,startup"
    assert experiments == [ExperimentStatus.CONCLUDED]
    assert stages == {1: ModelStage.ARCHIVED, 2: ModelStage.PRODUCTION}


def test_the_demo_refuses_a_store_that_is_not_empty_and_exits_non_zero(demo: tuple[Result, Path]) -> None:
    again = run_demo(demo[1])
    assert again.exit_code != 0
    assert "the demo needs an empty store" in str(again.exception)

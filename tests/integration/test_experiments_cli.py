"""`galfriday experiments create|list|status|conclude` on the embedded SQLite store."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.domain.experiment_evidence import forecast_values, shadow_prediction_id
from galfriday.domain.experiments import Arm, ExperimentOutcome, PredictionRecord

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def invoke(args: list[str], db_file: Path) -> Result:
    env = {"GALFRIDAY_STORE": "sqlite", "GALFRIDAY_STORE_DSN": str(db_file), "GALFRIDAY_DISABLE_PLUGINS": ""}
    return CliRunner().invoke(cli, args, env=env)


def run(args: list[str], db_file: Path) -> str:
    result = invoke(args, db_file)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "g.db"
    run(["db", "migrate"], path)
    return path


def create(db_file: Path, *extra: str) -> dict[str, object]:
    args = [
        "experiments",
        "create",
        "v3 vs v4",
        "--model",
        "btc-direction",
        "--control",
        "3",
        "--candidate",
        "4",
    ]
    document: dict[str, object] = json.loads(run([*args, *extra, "--json"], db_file))
    return document


async def resolve_shadow_requests(db_file: Path, experiment_id: str, requests: int, better: Arm) -> None:
    """Log `requests` shadow requests and their outcomes; the `better` arm forecasts with more skill."""
    rng = random.Random(11)
    predictions, outcomes = [], []
    for i in range(requests):
        happened = rng.random() < 0.5
        for arm in (Arm.CONTROL, Arm.CANDIDATE):
            skill = 0.3 if arm is better else 0.05
            p = min(0.99, max(0.01, 0.5 + (skill if happened else -skill) + rng.gauss(0.0, 0.1)))
            pid = f"r{i}" if arm is Arm.CONTROL else shadow_prediction_id(f"r{i}")
            version = 3 if arm is Arm.CONTROL else 4
            predictions.append(
                PredictionRecord(
                    id=pid,
                    model_name="btc-direction",
                    version=version,
                    experiment_id=experiment_id,
                    arm=arm,
                    routing_key=f"r{i}",
                    acted=arm is Arm.CONTROL,
                    outputs={"probabilities": (1.0 - p, p)},
                    latency_seconds=0.000_01,
                    at=AT,
                )
            )
            outcomes.append(
                ExperimentOutcome(
                    experiment_id=experiment_id,
                    prediction_id=pid,
                    arm=arm,
                    model_version=version,
                    routing_key=f"r{i}",
                    values=forecast_values(p, happened),
                    observed_at=AT,
                )
            )
    store = SqliteStore(db_file)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            await uow.predictions.add_many(predictions)
            await uow.experiments.add_outcomes(outcomes)
            await uow.commit()
    finally:
        await store.close()


def test_create_starts_a_shadow_experiment_by_default(db_file: Path) -> None:
    made = create(db_file)
    assert (made["mode"], made["status"], made["model"]) == ("shadow", "running", "btc-direction")
    assert (made["control_version"], made["candidate_version"]) == (3, 4)
    config = made["config"]
    assert isinstance(config, dict)
    assert (config["metric"], config["margin"], config["min_outcomes_per_arm"]) == ("brier", 0.002, 500)


def test_a_split_experiment_keeps_its_traffic_share(db_file: Path) -> None:
    made = create(db_file, "--mode", "split", "--share", "0.1")
    config = made["config"]
    assert isinstance(config, dict)
    assert (made["mode"], config["traffic_share"], config["metric"]) == ("split", 0.1, "pnl")


def test_a_split_experiment_without_a_share_is_refused(db_file: Path) -> None:
    result = invoke(
        [
            "experiments",
            "create",
            "x",
            "--model",
            "m",
            "--control",
            "1",
            "--candidate",
            "2",
            "--mode",
            "split",
        ],
        db_file,
    )
    assert result.exit_code != 0
    assert "--share" in result.output


def test_list_shows_experiments_oldest_first(db_file: Path) -> None:
    create(db_file)
    run(["experiments", "create", "other", "--model", "m", "--control", "1", "--candidate", "2"], db_file)
    names = [
        json.loads(line)["name"] for line in run(["experiments", "list", "--json"], db_file).splitlines()
    ]
    assert names == ["v3 vs v4", "other"]


def test_status_of_a_new_experiment_keeps_collecting(db_file: Path) -> None:
    create(db_file)
    status = json.loads(run(["experiments", "status", "v3 vs v4", "--json"], db_file))
    assert status["action"] == "keep collecting"
    assert status["arms"]["control"] == {"version": 3, "predictions": 0, "outcomes": 0, "means": {}}


def test_status_reports_the_shadow_statistics(db_file: Path) -> None:
    made = create(db_file, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(db_file, str(made["id"]), 300, better=Arm.CANDIDATE))
    status = json.loads(run(["experiments", "status", str(made["id"]), "--json"], db_file))
    assert status["pairs"] == 300
    assert status["arms"]["candidate"]["outcomes"] == 300
    assert status["diebold_mariano"]["p_value"] < 0.001
    assert status["mcnemar"]["n"] == 300
    assert status["action"] == "promote"
    table = run(["experiments", "status", "v3 vs v4"], db_file)
    assert "Diebold-Mariano" in table
    assert "promote" in table


def test_conclude_ends_a_won_experiment_and_stores_the_conclusion(db_file: Path) -> None:
    made = create(db_file, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(db_file, str(made["id"]), 300, better=Arm.CANDIDATE))
    verdict = json.loads(run(["experiments", "conclude", "v3 vs v4", "--json"], db_file))
    assert (verdict["action"], verdict["status"], verdict["winner"]) == ("promote", "concluded", 4)
    [stored] = [json.loads(line) for line in run(["experiments", "list", "--json"], db_file).splitlines()]
    assert stored["status"] == "concluded"
    assert stored["conclusion"]["winner"] == 4
    assert stored["conclusion"]["action"] == "promote"


def test_conclude_stops_a_losing_candidate(db_file: Path) -> None:
    made = create(db_file, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(db_file, str(made["id"]), 300, better=Arm.CONTROL))
    output = run(["experiments", "conclude", "v3 vs v4"], db_file)
    assert "stop; winner v3" in output
    assert "now concluded" in output


def test_conclude_all_leaves_undecided_experiments_running(db_file: Path) -> None:
    create(db_file)
    output = run(["experiments", "conclude", "--all"], db_file)
    assert "keep collecting" in output
    assert "still running" in output


def test_status_of_an_unknown_experiment_fails_naming_it(db_file: Path) -> None:
    result = invoke(["experiments", "status", "nope"], db_file)
    assert result.exit_code != 0
    assert "nope" in str(result.exception)

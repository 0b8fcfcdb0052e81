"""`galfriday experiments create|list|status|conclude` on SQLite, with the registry on filesystem artifacts and ONNX."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.cli import cli
from galfriday.domain.experiment_evidence import forecast_values, shadow_prediction_id
from galfriday.domain.experiments import Arm, ExperimentOutcome, PredictionRecord
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.testing.model_samples import register_arguments, sample_registration

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NAME = "btc-direction"


@dataclass(frozen=True)
class Setup:
    config: Path
    db_file: Path


def invoke(args: list[str], setup: Setup) -> Result:
    return CliRunner().invoke(cli, ["--config", str(setup.config), *args])


def run(args: list[str], setup: Setup) -> str:
    result = invoke(args, setup)
    assert result.exit_code == 0, result.output
    return result.output


def register(setup: Setup, tmp_path: Path, seed: int, brier: float) -> None:
    """Register a real ONNX version of btc-direction whose holdout Brier is `brier`."""
    registration = sample_registration(NAME, seed=seed, holdout=HoldoutMetrics("h1", brier, 0.6, 0.6))
    run(["models", "register", NAME, *register_arguments(registration, tmp_path, f"model-{seed}")], setup)


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A migrated SQLite store with btc-direction v1 in production and v2 registered beside it."""
    config = tmp_path / "galfriday.toml"
    db_file = tmp_path / "g.db"
    config.write_text(
        f"""
[store]
adapter = "sqlite"
dsn = "{db_file}"

[models]
runtime = "onnx"
artifact_store = "filesystem"

[models.settings]
artifact_dir = "{tmp_path / "artifacts"}"
"""
    )
    chosen = Setup(config, db_file)
    run(["db", "migrate"], chosen)
    register(chosen, tmp_path, seed=1, brier=0.22)
    register(chosen, tmp_path, seed=2, brier=0.20)
    run(["models", "promote", NAME, "1", "--reason", "first"], chosen)
    return chosen


def create(setup: Setup, *extra: str) -> dict[str, object]:
    args = ["experiments", "create", "v1 vs v2", "--model", NAME, "--control", "1", "--candidate", "2"]
    document: dict[str, object] = json.loads(run([*args, *extra, "--json"], setup))
    return document


def production(setup: Setup) -> int:
    versions = json.loads(run(["models", "list", NAME, "--json"], setup))
    [live] = [v["version"] for v in versions if "production" in v["aliases"]]
    return int(live)


async def resolve_shadow_requests(setup: Setup, experiment_id: str, requests: int, better: Arm) -> None:
    """Log `requests` shadow requests and their outcomes; the `better` arm forecasts with more skill."""
    rng = random.Random(11)
    predictions, outcomes = [], []
    for i in range(requests):
        happened = rng.random() < 0.5
        for arm in (Arm.CONTROL, Arm.CANDIDATE):
            skill = 0.3 if arm is better else 0.05
            p = min(0.99, max(0.01, 0.5 + (skill if happened else -skill) + rng.gauss(0.0, 0.1)))
            pid = f"r{i}" if arm is Arm.CONTROL else shadow_prediction_id(f"r{i}")
            version = 1 if arm is Arm.CONTROL else 2
            predictions.append(
                PredictionRecord(
                    id=pid,
                    model_name=NAME,
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
    store = SqliteStore(setup.db_file)
    await store.start()
    try:
        async with store.unit_of_work() as uow:
            await uow.predictions.add_many(predictions)
            await uow.experiments.add_outcomes(outcomes)
            await uow.commit()
    finally:
        await store.close()


def test_create_starts_a_shadow_experiment_by_default(setup: Setup) -> None:
    made = create(setup)
    assert (made["mode"], made["status"], made["model"]) == ("shadow", "running", NAME)
    assert (made["control_version"], made["candidate_version"]) == (1, 2)
    config = made["config"]
    assert isinstance(config, dict)
    assert (config["metric"], config["margin"], config["min_outcomes_per_arm"]) == ("brier", 0.002, 500)


def test_a_split_experiment_keeps_its_traffic_share(setup: Setup) -> None:
    made = create(setup, "--mode", "split", "--share", "0.1")
    config = made["config"]
    assert isinstance(config, dict)
    assert (made["mode"], config["traffic_share"], config["metric"]) == ("split", 0.1, "pnl")


def test_create_takes_the_policy_and_the_probability_output(setup: Setup) -> None:
    made = create(
        setup,
        *("--metric", "hit", "--margin", "0.02", "--min-outcomes", "800", "--min-days", "3"),
        *("--probability-output", "score", "--probability-index", "0", "--seed", "s-1"),
    )
    config = made["config"]
    assert isinstance(config, dict)
    assert (config["metric"], config["margin"], config["min_outcomes_per_arm"]) == ("hit", 0.02, 800)
    assert (config["min_duration_seconds"], config["seed"]) == (3 * 86_400.0, "s-1")
    assert (config["probability_output"], config["probability_index"]) == ("score", 0)


def test_a_split_experiment_without_a_share_is_refused(setup: Setup) -> None:
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
        setup,
    )
    assert result.exit_code != 0
    assert "--share" in result.output


def test_list_shows_experiments_oldest_first(setup: Setup) -> None:
    create(setup)
    run(["experiments", "create", "other", "--model", "m", "--control", "1", "--candidate", "2"], setup)
    names = [json.loads(line)["name"] for line in run(["experiments", "list", "--json"], setup).splitlines()]
    assert names == ["v1 vs v2", "other"]


def test_status_of_a_new_experiment_keeps_collecting(setup: Setup) -> None:
    create(setup)
    status = json.loads(run(["experiments", "status", "v1 vs v2", "--json"], setup))
    assert status["action"] == "keep collecting"
    assert status["arms"]["control"] == {"version": 1, "predictions": 0, "outcomes": 0, "means": {}}


def test_status_reports_the_shadow_statistics(setup: Setup) -> None:
    made = create(setup, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(setup, str(made["id"]), 300, better=Arm.CANDIDATE))
    status = json.loads(run(["experiments", "status", str(made["id"]), "--json"], setup))
    assert status["pairs"] == 300
    assert status["arms"]["candidate"]["outcomes"] == 300
    assert status["diebold_mariano"]["p_value"] < 0.001
    assert status["mcnemar"]["n"] == 300
    assert status["action"] == "promote"
    table = run(["experiments", "status", "v1 vs v2"], setup)
    assert "Diebold-Mariano" in table
    assert "promote" in table


def test_conclude_promotes_the_winner_through_the_registry_and_stores_the_conclusion(setup: Setup) -> None:
    made = create(setup, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(setup, str(made["id"]), 300, better=Arm.CANDIDATE))
    verdict = json.loads(run(["experiments", "conclude", "v1 vs v2", "--actor", "dana", "--json"], setup))
    assert (verdict["action"], verdict["status"], verdict["winner"], verdict["promoted"]) == (
        "promote",
        "concluded",
        2,
        True,
    )
    assert production(setup) == 2
    shown = json.loads(run(["models", "show", NAME, "2", "--json"], setup))
    assert shown["stage_history"][-1]["actor"] == "dana"
    [stored] = [json.loads(line) for line in run(["experiments", "list", "--json"], setup).splitlines()]
    assert stored["status"] == "concluded"
    assert (stored["conclusion"]["winner"], stored["conclusion"]["promoted"]) == (2, True)


def test_conclude_stops_a_losing_candidate_and_keeps_production(setup: Setup) -> None:
    made = create(setup, "--min-outcomes", "100", "--min-days", "0")
    asyncio.run(resolve_shadow_requests(setup, str(made["id"]), 300, better=Arm.CONTROL))
    output = run(["experiments", "conclude", "v1 vs v2"], setup)
    assert "stop; winner v1" in output
    assert "now concluded" in output
    assert production(setup) == 1


def test_conclude_all_leaves_undecided_experiments_running(setup: Setup) -> None:
    create(setup)
    output = run(["experiments", "conclude", "--all"], setup)
    assert "keep collecting" in output
    assert "still running" in output


def test_status_of_an_unknown_experiment_fails_naming_it(setup: Setup) -> None:
    result = invoke(["experiments", "status", "nope"], setup)
    assert result.exit_code != 0
    assert "nope" in str(result.exception)

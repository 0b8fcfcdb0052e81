"""`galfriday drift report`: a model's drift against its training reference, on a SQLite store."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from galfriday.adapters.sklearn.trainer import SklearnTrainer
from galfriday.app import App
from galfriday.cli import cli
from galfriday.config import load_config
from galfriday.domain.candle_features import candle_features
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.models import TrainingRequest
from galfriday.errors import NotFoundError
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.retraining import RegistryRegistrar
from galfriday.testing.candle_walk import candle_walk

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TRAIN = candle_walk(1_500, seed=41, start=T0)
TRAIN_END = T0 + timedelta(hours=1_500)
END = TRAIN_END + timedelta(hours=600)


def recent(volatility: float) -> list[Any]:
    return candle_walk(600, seed=42, start=TRAIN_END, price=float(TRAIN[-1].close), volatility=volatility)


def config_file(tmp_path: Path, volatility: float) -> Path:
    path = tmp_path / "galfriday.toml"
    path.write_text(f'[store]\nadapter = "sqlite"\ndsn = "{tmp_path / "drift.db"}"\n')
    reference = TrainingReference.from_columns(candle_features(TRAIN).columns).to_document()

    async def fill() -> None:
        async with (
            App.from_config(load_config(path), kinds=("store",)) as app,
            app.store.unit_of_work() as uow,
        ):
            await uow.candles.upsert_many([*TRAIN, *recent(volatility)])
            await uow.models.register(
                name="btc",
                artifact_uri="memory://btc/1/x",
                artifact_sha256="0" * 64,
                created_at=T0,
                metadata={"symbol": "BTC/USD", "interval_seconds": 3600, "training_reference": reference},
            )
            await uow.commit()

    asyncio.run(fill())
    return path


def invoke(path: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(path),
            "drift",
            "report",
            "btc",
            "--window-hours",
            "600",
            "--end",
            END.isoformat(),
            *args,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result


def test_json_report_raises_an_alert_when_volatility_triples(tmp_path: Path) -> None:
    document = json.loads(invoke(config_file(tmp_path, 0.03), "--json").output)
    assert (document["model"], document["version"], document["rows"]) == ("btc", 1, 600)
    assert document["drift_alert"] is True
    assert {"vol_20", "range_1"} <= set(document["drifting"])
    assert {f["method"] for f in document["features"]} == {"psi"}
    assert document["degradation"] is None


def test_json_report_is_quiet_when_nothing_changed(tmp_path: Path) -> None:
    document = json.loads(invoke(config_file(tmp_path, 0.01), "--json").output)
    assert document["drift_alert"] is False


def test_table_report_names_every_feature_and_the_verdict(tmp_path: Path) -> None:
    output = invoke(config_file(tmp_path, 0.03)).output
    assert "vol_20" in output
    assert "ALERT" in output
    assert "degradation: no resolved outcomes" in output


def test_an_unknown_model_is_a_not_found_error(tmp_path: Path) -> None:
    path = config_file(tmp_path, 0.01)
    result = CliRunner().invoke(cli, ["--config", str(path), "drift", "report", "eth", "--json"])
    assert isinstance(result.exception, NotFoundError)
    assert "eth" in str(result.exception)


@pytest.mark.parametrize("bad", ["0", "-5"])
def test_the_window_must_be_positive(tmp_path: Path, bad: str) -> None:
    result = CliRunner().invoke(cli, ["drift", "report", "btc", "--window-hours", bad])
    assert result.exit_code == 2


def test_score_candles_judges_degradation_by_running_the_model_on_the_window(tmp_path: Path) -> None:
    path = tmp_path / "galfriday.toml"
    path.write_text(
        f'[store]\nadapter = "sqlite"\ndsn = "{tmp_path / "drift.db"}"\n'
        f'[models]\nruntime = "onnx"\nartifact_store = "filesystem"\n'
        f'[models.settings]\nartifact_dir = "{tmp_path / "artifacts"}"\n'
    )

    async def train_and_register() -> None:
        async with App.from_config(
            load_config(path), kinds=("store", "artifact_store", "model_runtime")
        ) as app:
            async with app.store.unit_of_work() as uow:
                await uow.candles.upsert_many([*TRAIN, *recent(0.01)])
                await uow.commit()
            trainer = SklearnTrainer(app.store, symbol="BTC/USD", interval_seconds=3600, max_trials=1)
            trained = await trainer.train(TrainingRequest("btc", T0, TRAIN_END))
            registry = ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock)
            await RegistryRegistrar(registry).register(
                trained, parent_version=None, metadata={}, actor="test", reason="cli test"
            )

    asyncio.run(train_and_register())
    document = json.loads(invoke(path, "--score-candles", "--json").output)
    assert document["degradation"]["outcomes"] == 599
    assert document["degradation"]["alarm"] is False

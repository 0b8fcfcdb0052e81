"""The built-in sklearn trainer on synthetic candles: the ONNX artifact runs in onnxruntime like sklearn."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.adapters.sklearn.plugin import make_sklearn_trainer
from galfriday.adapters.sklearn.trainer import SklearnTrainer, fingerprint
from galfriday.config import Config
from galfriday.domain.candle_features import FEATURE_NAMES, candle_features, direction_labels
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.models import ModelVersion, TrainedModel, TrainingRequest
from galfriday.errors import ConfigurationError, InvalidValueError
from galfriday.hookspecs import AdapterContext
from galfriday.testing.candle_walk import candle_walk

T0 = datetime(2026, 1, 1, tzinfo=UTC)
N = 1_500
CANDLES = candle_walk(N, seed=11, start=T0)
END = T0 + timedelta(hours=N)


def store_with(candles: list[Any]) -> MemoryStore:
    store = MemoryStore()

    async def fill() -> None:
        async with store.unit_of_work() as uow:
            await uow.candles.upsert_many(candles)
            await uow.commit()

    asyncio.run(fill())
    return store


STORE = store_with(CANDLES)


def trainer(**kwargs: Any) -> SklearnTrainer:
    options: dict[str, Any] = {"symbol": "BTC/USD", "interval_seconds": 3600, "max_trials": 3}
    options.update(kwargs)
    return SklearnTrainer(STORE, **options)


def train(t: SklearnTrainer, **hyperparameters: Any) -> TrainedModel:
    request = TrainingRequest("btc", T0, END, hyperparameters=hyperparameters, parent_version=4)
    return asyncio.run(t.train(request))


@pytest.fixture(scope="module")
def trained() -> TrainedModel:
    return train(trainer())


def design() -> tuple[np.ndarray, np.ndarray]:
    labels = direction_labels(CANDLES)
    x = np.asarray(candle_features(CANDLES).row_major()[: len(labels)], dtype=np.float32)
    return x, np.asarray(labels)


def ort_probabilities(artifact: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(artifact, providers=["CPUExecutionProvider"])
    probabilities: np.ndarray = session.run(["probabilities"], {"features": x})[0]
    return probabilities


def test_the_artifact_matches_sklearn_refitted_from_the_recorded_metadata(trained: TrainedModel) -> None:
    """Refit with the recorded hyperparameters on the recorded training rows: ORT gives sklearn's answers."""
    x, y = design()
    rows = trained.metadata["rows"]["train"]
    native = Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=trained.metadata["hyperparameters"]["C"], max_iter=1000)),
        ]
    ).fit(x[:rows], y[:rows])
    assert np.max(np.abs(ort_probabilities(trained.artifact, x) - native.predict_proba(x))) <= 1e-5


def test_the_artifact_declares_its_features_and_plain_tensor_outputs(trained: TrainedModel) -> None:
    model = onnx.load_from_string(trained.artifact)
    onnx.checker.check_model(model)
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["galfriday.features"]) == list(FEATURE_NAMES)
    assert [i.name for i in model.graph.input] == ["features"]
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    assert [f.name for f in trained.features] == list(FEATURE_NAMES)
    assert trained.metadata["onnx_ir_version"] == model.ir_version
    assert trained.metadata["onnx_opset"] == 17


async def test_the_onnx_runtime_adapter_serves_the_artifact_by_feature_columns(trained: TrainedModel) -> None:
    x, _ = design()
    version = ModelVersion("btc", 1, "memory://btc/1", "0" * 64, T0, features=trained.features)
    runtime = OnnxModelRuntime()
    try:
        await runtime.load(version, trained.artifact)
        columns = {name: x[:20, i].tolist() for i, name in enumerate(FEATURE_NAMES)}
        prediction = await runtime.predict(version, columns)
    finally:
        await runtime.close()
    served = np.asarray(prediction.outputs["probabilities"]).reshape(20, 2)
    assert np.max(np.abs(served - ort_probabilities(trained.artifact, x[:20]))) == 0.0


def test_validation_metrics_are_those_of_the_artifact_on_the_holdout(trained: TrainedModel) -> None:
    x, y = design()
    start = len(y) - int(trained.metrics["validation_rows"])
    p = ort_probabilities(trained.artifact, x[start:])[:, 1]
    assert trained.metrics["validation_brier"] == pytest.approx(
        float(np.mean((p - y[start:]) ** 2)), abs=1e-6
    )
    assert trained.metrics["validation_hit_rate"] == pytest.approx(
        float(np.mean((p >= 0.5) == (y[start:] == 1)))
    )


def test_the_holdout_is_behind_a_purge_gap_of_the_label_horizon(trained: TrainedModel) -> None:
    rows = trained.metadata["rows"]
    assert rows["total"] - rows["validation"] - rows["train"] == 1


def test_it_learns_the_autocorrelation_of_the_walk(trained: TrainedModel) -> None:
    assert trained.metrics["validation_hit_rate"] > 0.55
    assert trained.metrics["validation_brier"] < 0.25
    assert trained.metadata["feature_importance"]["ret_1"] == max(
        trained.metadata["feature_importance"].values()
    )


def test_metadata_records_lineage_window_and_fingerprint(trained: TrainedModel) -> None:
    meta = trained.metadata
    assert (meta["trainer"], meta["symbol"], meta["interval_seconds"], meta["parent_version"]) == (
        "sklearn",
        "BTC/USD",
        3600,
        4,
    )
    assert (meta["window_start"], meta["window_end"]) == (T0.isoformat(), END.isoformat())
    assert meta["data_window_end"] == CANDLES[-1].open_time.isoformat()
    assert meta["data_fingerprint"] == fingerprint(CANDLES)
    assert sum(meta["feature_importance"].values()) == pytest.approx(1.0)
    assert TrainingReference.from_document(meta["training_reference"]).names == FEATURE_NAMES


def test_the_fingerprint_changes_with_any_candle() -> None:
    changed = candle_walk(N, seed=11, start=T0, volume=10.0001)
    assert fingerprint(CANDLES) == fingerprint(list(CANDLES))
    assert fingerprint(changed) != fingerprint(CANDLES)


def test_the_search_runs_the_trials_budget(trained: TrainedModel) -> None:
    search = trained.metadata["search"]
    assert len(search["trials"]) == 3
    assert search["stopped_by"] == "trials"
    best = min(search["trials"], key=lambda t: t["cv_log_loss"])
    assert trained.metadata["hyperparameters"] == best["params"]
    assert trained.metrics["cv_log_loss"] == best["cv_log_loss"]


def test_the_search_stops_when_the_time_budget_is_spent() -> None:
    ticks = iter(range(100))  # a clock that reads 0 at the start, then 1 s later at every look
    model = train(trainer(max_trials=10, time_budget_seconds=2.5, monotonic=lambda: float(next(ticks))))
    assert model.metadata["search"]["stopped_by"] == "time"
    assert len(model.metadata["search"]["trials"]) == 3  # started at 1 s and 2 s; at 3 s the budget is spent


def test_a_fixed_c_skips_the_search() -> None:
    model = train(trainer(), C=0.5)
    assert model.metadata["hyperparameters"] == {"C": 0.5}
    assert model.metadata["search"]["fixed"] is True
    assert len(model.metadata["search"]["trials"]) == 1


def test_an_unknown_hyperparameter_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="hyperparameters"):
        train(trainer(), depth=3)


def test_a_window_with_too_few_candles_is_refused() -> None:
    request = TrainingRequest("btc", T0, T0 + timedelta(hours=100))
    with pytest.raises(InvalidValueError, match="at least 200 labelled rows"):
        asyncio.run(trainer().train(request))


def test_without_a_window_end_it_trains_up_to_the_clocks_now() -> None:
    clock = ManualClock(END)
    model = asyncio.run(trainer(clock=clock, train_period=timedelta(hours=800)).train(TrainingRequest("btc")))
    assert model.metadata["window_start"] == (END - timedelta(hours=800)).isoformat()


def test_the_plugin_builds_a_trainer_that_needs_a_store() -> None:
    ctx = AdapterContext(Config(), {"symbol": "ETH/USD", "max_trials": 2}, ManualClock(END))
    built = make_sklearn_trainer(ctx)
    assert (built.symbol, built.max_trials, built.interval_seconds) == ("ETH/USD", 2, 3600)
    with pytest.raises(ConfigurationError, match="store"):
        asyncio.run(built.train(TrainingRequest("eth", T0, END)))


def test_the_plugin_refuses_bad_settings() -> None:
    with pytest.raises(ConfigurationError, match="max_trials"):
        make_sklearn_trainer(AdapterContext(Config(), {"max_trials": 0}, ManualClock(END)))


def test_the_trainer_is_registered_as_sklearn_through_the_entry_point() -> None:
    from galfriday.plugins import build_plugin_manager, collect_adapters

    registration = collect_adapters(build_plugin_manager()).get("trainer", "sklearn")
    assert registration.factory is make_sklearn_trainer
    assert registration.distribution == "galfriday"


def test_metadata_reads_as_the_registrys_version_metadata(trained: TrainedModel) -> None:
    from galfriday.domain.model_metadata import VersionMetadata

    metadata = VersionMetadata.from_json(trained.metadata)
    assert metadata.holdout is not None
    assert metadata.holdout.hit_rate == trained.metrics["validation_hit_rate"]
    assert metadata.holdout.holdout_id.startswith("BTC/USD/3600s/h1/")
    assert metadata.data_window_end == CANDLES[-1].open_time
    assert metadata.probability_output == "probabilities"
    assert metadata.extra["training_reference"] == trained.metadata["training_reference"]


def test_the_reference_batch_is_the_native_pipelines_probabilities_on_holdout_rows(
    trained: TrainedModel,
) -> None:
    reference = trained.metadata["reference"]
    x = np.column_stack([reference["inputs"][name] for name in FEATURE_NAMES]).astype(np.float32)
    assert len(x) == 32
    assert np.max(np.abs(ort_probabilities(trained.artifact, x) - np.asarray(reference["outputs"]))) <= 1e-5

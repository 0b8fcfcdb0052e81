"""Memory model adapters: artifact integrity, the linear-model runtime, and a trainer that really fits."""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.runtime import FORMAT, MemoryModelRuntime
from galfriday.adapters.memory.trainer import MemoryTrainer
from galfriday.domain.models import FeatureSpec, ModelVersion, TrainingRequest
from galfriday.errors import IntegrityError, InvalidValueError, ModelError, NotFoundError

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def linear_artifact(
    coefficients: dict[str, float], bias: float = 0.0, link: str = "identity", **overrides: Any
) -> bytes:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "features": [{"name": name, "dtype": "float32"} for name in coefficients],
        "weights": list(coefficients.values()),
        "bias": bias,
        "link": link,
        "output": "score",
    }
    doc.update(overrides)
    return json.dumps(doc).encode()


def version_of(
    artifact: bytes, name: str = "alpha", version: int = 1, uri: str = "memory://x"
) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=version,
        artifact_uri=uri,
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        created_at=NOW,
    )


async def loaded(artifact: bytes, **version: Any) -> tuple[MemoryModelRuntime, ModelVersion]:
    runtime = MemoryModelRuntime()
    model = version_of(artifact, **version)
    await runtime.load(model, artifact)
    return runtime, model


def synthetic(n: int = 100, seed: int = 7) -> tuple[list[dict[str, float]], list[float]]:
    """Noise-free rows of y = 2*x1 - 3*x2 + 0.5."""
    rng = random.Random(seed)
    rows = [{"x1": rng.uniform(-1, 1), "x2": rng.uniform(-1, 1)} for _ in range(n)]
    return rows, [2 * r["x1"] - 3 * r["x2"] + 0.5 for r in rows]


def trainer_of(rows: list[dict[str, float]], targets: list[float]) -> MemoryTrainer:
    return MemoryTrainer(dataset=lambda request: (rows, targets))


def artifact_doc(artifact: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(artifact)
    return doc


# --- artifact store ---------------------------------------------------------------------------------


async def test_put_returns_a_memory_uri_and_the_sha256_of_the_bytes() -> None:
    uri, sha256 = await MemoryArtifactStore().put("alpha", 3, b"model bytes")
    assert sha256 == hashlib.sha256(b"model bytes").hexdigest()
    assert uri == f"memory://alpha/3/{sha256[:16]}"


async def test_get_returns_the_stored_bytes_when_the_sha256_matches() -> None:
    store = MemoryArtifactStore()
    uri, sha256 = await store.put("alpha", 1, b"model bytes")
    assert await store.get(uri, sha256) == b"model bytes"


async def test_get_refuses_tampered_bytes() -> None:
    store = MemoryArtifactStore()
    uri, sha256 = await store.put("alpha", 1, b"model bytes")
    store.tamper(uri, b"evil bytes")
    with pytest.raises(IntegrityError) as raised:
        await store.get(uri, sha256)
    assert (raised.value.uri, raised.value.expected) == (uri, sha256)
    assert raised.value.actual == hashlib.sha256(b"evil bytes").hexdigest()


async def test_get_refuses_bytes_that_do_not_match_the_expected_sha256() -> None:
    store = MemoryArtifactStore()
    uri, _ = await store.put("alpha", 1, b"model bytes")
    with pytest.raises(IntegrityError):
        await store.get(uri, "0" * 64)


async def test_get_of_an_unknown_uri_raises_not_found() -> None:
    with pytest.raises(NotFoundError) as raised:
        await MemoryArtifactStore().get("memory://nope/1/abc", "0" * 64)
    assert (raised.value.entity, raised.value.key) == ("artifact", "memory://nope/1/abc")


async def test_a_deleted_artifact_is_not_found() -> None:
    store = MemoryArtifactStore()
    uri, sha256 = await store.put("alpha", 1, b"model bytes")
    await store.delete(uri)
    with pytest.raises(NotFoundError):
        await store.get(uri, sha256)


async def test_deleting_an_unknown_artifact_is_not_an_error() -> None:
    await MemoryArtifactStore().delete("memory://nope/1/abc")


async def test_stored_bytes_do_not_change_when_the_caller_mutates_its_buffer() -> None:
    store = MemoryArtifactStore()
    buffer = bytearray(b"model bytes")
    uri, sha256 = await store.put("alpha", 1, buffer)
    buffer[:] = b"other bytes"
    assert await store.get(uri, sha256) == b"model bytes"


def test_tampering_with_an_unknown_artifact_raises_not_found() -> None:
    with pytest.raises(NotFoundError):
        MemoryArtifactStore().tamper("memory://nope/1/abc", b"x")


@pytest.mark.parametrize("name", ["", "a/b"])
async def test_put_refuses_names_that_would_break_the_uri(name: str) -> None:
    with pytest.raises(InvalidValueError):
        await MemoryArtifactStore().put(name, 1, b"x")


# --- runtime ----------------------------------------------------------------------------------------


async def test_predict_scores_each_row_as_bias_plus_weighted_features() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 2.0, "x2": -3.0}, bias=0.5))
    prediction = await runtime.predict(model, {"x1": [1.0, 0.0, 2.0], "x2": [0.0, 1.0, 1.0]})
    assert prediction.outputs == {"score": (2.5, -2.5, 1.5)}


async def test_predict_applies_the_logistic_link() -> None:
    runtime, model = await loaded(linear_artifact({"x": 1.0}, bias=0.0, link="logistic"))
    prediction = await runtime.predict(model, {"x": [0.0, math.log(3.0), -1000.0]})
    assert prediction.outputs["score"] == pytest.approx((0.5, 0.75, 0.0))


async def test_predict_names_the_model_and_measures_latency() -> None:
    runtime, model = await loaded(linear_artifact({"x": 1.0}), name="beta", version=4)
    prediction = await runtime.predict(model, {"x": [1.0]})
    assert (prediction.model, prediction.version) == ("beta", 4)
    assert 0.0 <= prediction.latency_seconds < 1.0


async def test_input_schema_lists_the_declared_features() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0, "x2": 1.0}))
    assert runtime.input_schema(model) == (FeatureSpec("x1", "float32"), FeatureSpec("x2", "float32"))


async def test_a_missing_feature_is_refused_by_name() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0, "x2": 1.0}))
    with pytest.raises(InvalidValueError) as raised:
        await runtime.predict(model, {"x1": [1.0]})
    assert raised.value.field == "x2"


async def test_an_undeclared_feature_is_refused_by_name() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0}))
    with pytest.raises(InvalidValueError) as raised:
        await runtime.predict(model, {"x1": [1.0], "volume": [3.0]})
    assert raised.value.field == "volume"


async def test_features_with_different_row_counts_are_refused_naming_the_odd_one() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0, "x2": 1.0}))
    with pytest.raises(InvalidValueError) as raised:
        await runtime.predict(model, {"x1": [1.0, 2.0], "x2": [1.0]})
    assert raised.value.field == "x2"


async def test_an_empty_batch_is_refused() -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0}))
    with pytest.raises(InvalidValueError):
        await runtime.predict(model, {"x1": []})


@pytest.mark.parametrize(
    ("column", "field"), [(1.0, "x1"), ("1.0", "x1"), ([1.0, "2"], "x1[1]"), ([True], "x1[0]")]
)
async def test_a_feature_that_is_not_a_sequence_of_numbers_is_refused(column: Any, field: str) -> None:
    runtime, model = await loaded(linear_artifact({"x1": 1.0}))
    with pytest.raises(InvalidValueError) as raised:
        await runtime.predict(model, {"x1": column})
    assert raised.value.field == field


async def test_predict_on_a_model_that_is_not_loaded_raises_model_error() -> None:
    model = version_of(linear_artifact({"x": 1.0}))
    with pytest.raises(ModelError, match="not loaded"):
        await MemoryModelRuntime().predict(model, {"x": [1.0]})


def test_input_schema_of_a_model_that_is_not_loaded_raises_model_error() -> None:
    with pytest.raises(ModelError):
        MemoryModelRuntime().input_schema(version_of(linear_artifact({"x": 1.0})))


async def test_loading_a_loaded_version_again_keeps_the_cached_model() -> None:
    runtime, model = await loaded(linear_artifact({"x": 1.0}))
    await runtime.load(model, linear_artifact({"x": 100.0}))
    assert (await runtime.predict(model, {"x": [1.0]})).outputs["score"] == (1.0,)


async def test_versions_of_a_model_are_cached_separately() -> None:
    runtime, v1 = await loaded(linear_artifact({"x": 1.0}), version=1)
    v2 = version_of(linear_artifact({"x": 2.0}), version=2)
    await runtime.load(v2, linear_artifact({"x": 2.0}))
    assert runtime.loaded == {("alpha", 1), ("alpha", 2)}
    assert (await runtime.predict(v2, {"x": [1.0]})).outputs["score"] == (2.0,)
    assert (await runtime.predict(v1, {"x": [1.0]})).outputs["score"] == (1.0,)


async def test_an_unloaded_model_can_no_longer_predict() -> None:
    runtime, model = await loaded(linear_artifact({"x": 1.0}))
    await runtime.unload(model)
    with pytest.raises(ModelError):
        await runtime.predict(model, {"x": [1.0]})


@pytest.mark.parametrize(
    "artifact",
    [
        b"\xff not json",
        b"[1, 2]",
        linear_artifact({"x": 1.0}, format="onnx"),
        linear_artifact({"x": 1.0}, weights=[1.0, 2.0]),
        linear_artifact({"x": 1.0}, link="probit"),
        linear_artifact({"x": 1.0}, features=[{"name": "x"}, {"name": "x"}], weights=[1.0, 1.0]),
        linear_artifact({"x": 1.0}, features=[{"name": "x", "dtype": "string"}]),
        linear_artifact({}),
        linear_artifact({"x": 1.0}, bias="high"),
        json.dumps({"format": FORMAT}).encode(),
    ],
    ids=[
        "not-utf8",
        "not-an-object",
        "wrong-format",
        "weight-count",
        "unknown-link",
        "duplicate-feature",
        "unsupported-dtype",
        "no-features",
        "non-numeric-bias",
        "missing-fields",
    ],
)
async def test_an_invalid_artifact_is_refused_at_load(artifact: bytes) -> None:
    runtime = MemoryModelRuntime()
    with pytest.raises(ModelError):
        await runtime.load(version_of(artifact), artifact)
    assert runtime.loaded == frozenset()


# --- trainer ----------------------------------------------------------------------------------------


async def test_the_trainer_recovers_the_weights_of_noise_free_linear_data() -> None:
    trained = await trainer_of(*synthetic()).train(TrainingRequest("alpha"))
    doc = artifact_doc(trained.artifact)
    assert [f["name"] for f in doc["features"]] == ["x1", "x2"]
    assert doc["weights"] == pytest.approx([2.0, -3.0], abs=1e-6)
    assert doc["bias"] == pytest.approx(0.5, abs=1e-6)
    assert trained.features == (FeatureSpec("x1"), FeatureSpec("x2"))
    assert trained.model_name == "alpha"


async def test_the_trainer_reports_train_and_holdout_mse() -> None:
    trained = await trainer_of(*synthetic()).train(TrainingRequest("alpha"))
    assert trained.metrics["train_mse"] == pytest.approx(0.0, abs=1e-12)
    assert trained.metrics["holdout_mse"] == pytest.approx(0.0, abs=1e-12)


async def test_the_last_fifth_of_the_rows_is_held_out_of_the_fit() -> None:
    rows, targets = synthetic(100)
    shifted = targets[:80] + [t + 10.0 for t in targets[80:]]
    trained = await trainer_of(rows, shifted).train(TrainingRequest("alpha"))
    assert trained.metrics["train_mse"] == pytest.approx(0.0, abs=1e-12)
    assert trained.metrics["holdout_mse"] == pytest.approx(100.0, rel=1e-6)
    assert (trained.metadata["n_train"], trained.metadata["n_holdout"]) == (80, 20)


async def test_the_trainer_records_rows_hyperparameters_and_data_fingerprint() -> None:
    rows, targets = synthetic()
    trained = await trainer_of(rows, targets).train(TrainingRequest("alpha", hyperparameters={"ridge": 0.01}))
    assert trained.metadata["n_rows"] == 100
    assert trained.metadata["hyperparameters"] == {"ridge": 0.01, "link": "identity"}
    assert len(trained.metadata["data_fingerprint"]) == 64


async def test_the_same_data_gives_the_same_fingerprint_and_artifact() -> None:
    first = await trainer_of(*synthetic(seed=1)).train(TrainingRequest("alpha"))
    again = await trainer_of(*synthetic(seed=1)).train(TrainingRequest("alpha"))
    assert first.metadata["data_fingerprint"] == again.metadata["data_fingerprint"]
    assert first.artifact == again.artifact


async def test_different_data_gives_a_different_fingerprint() -> None:
    first = await trainer_of(*synthetic(seed=1)).train(TrainingRequest("alpha"))
    other = await trainer_of(*synthetic(seed=2)).train(TrainingRequest("alpha"))
    assert first.metadata["data_fingerprint"] != other.metadata["data_fingerprint"]


async def test_the_dataset_receives_the_training_request() -> None:
    seen: list[TrainingRequest] = []
    rows, targets = synthetic()

    def dataset(request: TrainingRequest) -> tuple[list[dict[str, float]], list[float]]:
        seen.append(request)
        return rows, targets

    request = TrainingRequest("alpha", window_start=NOW, parent_version=3)
    await MemoryTrainer(dataset).train(request)
    assert seen == [request]


async def test_a_larger_ridge_shrinks_the_weights() -> None:
    trainer = trainer_of(*synthetic())
    plain = artifact_doc((await trainer.train(TrainingRequest("alpha"))).artifact)
    ridged = artifact_doc(
        (await trainer.train(TrainingRequest("alpha", hyperparameters={"ridge": 50.0}))).artifact
    )
    assert sum(map(abs, ridged["weights"])) < sum(map(abs, plain["weights"]))


async def test_the_logistic_link_recovers_the_weights_of_probability_targets() -> None:
    rng = random.Random(3)
    rows = [{"x": rng.uniform(-3, 3)} for _ in range(200)]
    targets = [1 / (1 + math.exp(-(1.5 * r["x"] - 0.5))) for r in rows]
    trained = await trainer_of(rows, targets).train(
        TrainingRequest("alpha", hyperparameters={"link": "logistic", "ridge": 0.0})
    )
    doc = artifact_doc(trained.artifact)
    assert doc["link"] == "logistic"
    assert doc["weights"] == pytest.approx([1.5], abs=1e-6)
    assert doc["bias"] == pytest.approx(-0.5, abs=1e-6)
    assert trained.metadata["converged"] is True


@pytest.mark.parametrize(
    "hyperparameters",
    [{"ridge": -1.0}, {"ridge": "big"}, {"ridge": math.inf}, {"link": "probit"}, {"learning_rate": 0.1}],
)
async def test_invalid_hyperparameters_are_refused(hyperparameters: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError):
        await trainer_of(*synthetic()).train(TrainingRequest("alpha", hyperparameters=hyperparameters))


async def test_rows_with_different_features_are_refused() -> None:
    rows, targets = synthetic()
    rows[10] = {"x1": 1.0, "x3": 2.0}
    with pytest.raises(InvalidValueError) as raised:
        await trainer_of(rows, targets).train(TrainingRequest("alpha"))
    assert raised.value.field == "rows[10]"


async def test_a_target_count_that_differs_from_the_row_count_is_refused() -> None:
    rows, targets = synthetic()
    with pytest.raises(InvalidValueError):
        await trainer_of(rows, targets[:-1]).train(TrainingRequest("alpha"))


async def test_too_few_rows_to_hold_any_out_are_refused() -> None:
    with pytest.raises(InvalidValueError):
        await trainer_of(*synthetic(4)).train(TrainingRequest("alpha"))


async def test_logistic_targets_outside_zero_and_one_are_refused() -> None:
    with pytest.raises(InvalidValueError):
        await trainer_of(*synthetic()).train(TrainingRequest("alpha", hyperparameters={"link": "logistic"}))


async def test_collinear_features_without_ridge_cannot_be_fitted() -> None:
    rows = [{"x1": float(i), "x2": 2.0 * i} for i in range(20)]
    with pytest.raises(ModelError, match="ridge"):
        await trainer_of(rows, [float(i) for i in range(20)]).train(
            TrainingRequest("alpha", hyperparameters={"ridge": 0.0})
        )


# --- round trip -------------------------------------------------------------------------------------


async def test_a_trained_model_stored_loaded_and_run_predicts_the_learned_function() -> None:
    trained = await trainer_of(*synthetic()).train(TrainingRequest("alpha"))
    store, runtime = MemoryArtifactStore(), MemoryModelRuntime()
    uri, sha256 = await store.put("alpha", 1, trained.artifact)
    model = ModelVersion(
        name="alpha",
        version=1,
        artifact_uri=uri,
        artifact_sha256=sha256,
        created_at=NOW,
        features=trained.features,
    )
    await runtime.load(model, await store.get(model.artifact_uri, model.artifact_sha256))
    assert runtime.input_schema(model) == trained.features
    prediction = await runtime.predict(model, {"x1": [1.0, 0.0, 0.25], "x2": [0.0, 1.0, -0.5]})
    assert prediction.outputs["score"] == pytest.approx((2.5, -2.5, 2.5), abs=1e-6)

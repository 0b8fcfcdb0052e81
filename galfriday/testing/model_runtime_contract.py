"""The `ModelRuntime` contract: what every model runtime (memory, ONNX, a plugin's) must honour.

Subclass `ModelRuntimeContract` and provide two fixtures: `runtime`, a fresh runtime, and `linear_artifact`, a
function `(features, weights, bias) -> bytes` that builds an artifact in the runtime's format with one output,
`score`, equal to `bias + sum(weight * feature)` per row (so the suite can check the numbers)::

    class TestMyRuntime(ModelRuntimeContract):
        @pytest.fixture
        def runtime(self):
            return MyRuntime()

        @pytest.fixture
        def linear_artifact(self):
            return build_my_linear_model
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from galfriday.domain.models import FeatureSpec, ModelVersion
from galfriday.errors import InvalidValueError, ModelError
from galfriday.ports.models import ModelRuntime

LinearArtifact = Callable[[Sequence[FeatureSpec], Sequence[float], float], bytes]

FEATURES = (FeatureSpec("rsi"), FeatureSpec("spread"), FeatureSpec("momentum"))
WEIGHTS = (0.5, -2.0, 1.25)
BIAS = 0.125
TOLERANCE = 1e-5
"""Runtimes may compute in float32: outputs agree with float64 arithmetic to about 1e-6 relative."""


def version(
    number: int = 1, features: Sequence[FeatureSpec] = FEATURES, name: str = "direction"
) -> ModelVersion:
    return ModelVersion(
        name=name,
        version=number,
        artifact_uri=f"memory://{name}/{number}/x",
        artifact_sha256="0" * 64,
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
        features=features,
    )


def expected_scores(
    columns: dict[str, list[float]], weights: Sequence[float] = WEIGHTS, bias: float = BIAS
) -> list[float]:
    names = [spec.name for spec in FEATURES]
    rows = zip(*(columns[name] for name in names), strict=True)
    return [bias + math.fsum(w * x for w, x in zip(weights, row, strict=True)) for row in rows]


def assert_close(actual: Sequence[float], expected: Sequence[float]) -> None:
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert math.isclose(a, e, rel_tol=TOLERANCE, abs_tol=TOLERANCE), f"{a} != {e}"


ONE_ROW = {"rsi": [0.4], "spread": [0.01], "momentum": [-0.3]}
THREE_ROWS = {"rsi": [0.4, 0.6, 0.1], "spread": [0.01, 0.02, 0.0], "momentum": [-0.3, 0.2, 1.0]}


@pytest.mark.asyncio
class ModelRuntimeContract:
    @pytest.fixture
    async def loaded(self, runtime: ModelRuntime, linear_artifact: LinearArtifact) -> ModelVersion:
        model = version()
        await runtime.load(model, linear_artifact(FEATURES, WEIGHTS, BIAS))
        return model

    async def test_predict_scores_one_row(self, runtime: ModelRuntime, loaded: ModelVersion) -> None:
        prediction = await runtime.predict(loaded, ONE_ROW)
        assert_close(prediction.outputs["score"], expected_scores(ONE_ROW))

    async def test_predict_scores_every_row_in_order(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        prediction = await runtime.predict(loaded, THREE_ROWS)
        assert_close(prediction.outputs["score"], expected_scores(THREE_ROWS))

    async def test_a_large_batch_is_scored_row_for_row(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        n = 2_000
        batch = {
            "rsi": [i / n for i in range(n)],
            "spread": [(i % 7) / 100 for i in range(n)],
            "momentum": [math.sin(i) for i in range(n)],
        }
        prediction = await runtime.predict(loaded, batch)
        assert_close(prediction.outputs["score"], expected_scores(batch))

    async def test_the_prediction_names_model_and_version_and_measures_latency(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        prediction = await runtime.predict(loaded, ONE_ROW)
        assert (prediction.model, prediction.version) == ("direction", 1)
        assert 0 <= prediction.latency_seconds < 60

    async def test_feature_order_in_the_mapping_does_not_matter(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        shuffled = {"momentum": [-0.3], "rsi": [0.4], "spread": [0.01]}
        prediction = await runtime.predict(loaded, shuffled)
        assert_close(prediction.outputs["score"], expected_scores(ONE_ROW))

    async def test_integers_are_numbers_too(self, runtime: ModelRuntime, loaded: ModelVersion) -> None:
        prediction = await runtime.predict(loaded, {"rsi": [1], "spread": [0], "momentum": [2]})
        assert_close(prediction.outputs["score"], [BIAS + 0.5 + 2.5])

    async def test_input_schema_is_the_declared_features(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        assert tuple(runtime.input_schema(loaded)) == FEATURES

    async def test_predicting_with_a_model_not_loaded_is_a_model_error(self, runtime: ModelRuntime) -> None:
        with pytest.raises(ModelError, match="not loaded"):
            await runtime.predict(version(9), ONE_ROW)

    async def test_loading_twice_keeps_the_first_session(
        self, runtime: ModelRuntime, loaded: ModelVersion, linear_artifact: LinearArtifact
    ) -> None:
        await runtime.load(loaded, linear_artifact(FEATURES, (0.0, 0.0, 0.0), 99.0))
        prediction = await runtime.predict(loaded, ONE_ROW)
        assert_close(prediction.outputs["score"], expected_scores(ONE_ROW))

    async def test_versions_are_loaded_side_by_side(
        self, runtime: ModelRuntime, loaded: ModelVersion, linear_artifact: LinearArtifact
    ) -> None:
        second = version(2)
        await runtime.load(second, linear_artifact(FEATURES, (1.0, 1.0, 1.0), 0.0))
        first_scores = (await runtime.predict(loaded, ONE_ROW)).outputs["score"]
        second_scores = (await runtime.predict(second, ONE_ROW)).outputs["score"]
        assert_close(first_scores, expected_scores(ONE_ROW))
        assert_close(second_scores, [0.4 + 0.01 - 0.3])

    async def test_concurrent_predictions_each_get_their_own_answer(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        batches = [{"rsi": [i / 10], "spread": [0.0], "momentum": [0.0]} for i in range(10)]
        predictions = await asyncio.gather(*(runtime.predict(loaded, batch) for batch in batches))
        for batch, prediction in zip(batches, predictions, strict=True):
            assert_close(prediction.outputs["score"], expected_scores(batch))

    async def test_unloaded_models_no_longer_predict(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        await runtime.unload(loaded)
        with pytest.raises(ModelError):
            await runtime.predict(loaded, ONE_ROW)

    async def test_unloading_a_model_that_is_not_loaded_is_a_no_op(self, runtime: ModelRuntime) -> None:
        await runtime.unload(version(5))

    async def test_bytes_that_are_not_a_model_fail_to_load_with_a_model_error(
        self, runtime: ModelRuntime
    ) -> None:
        with pytest.raises(ModelError):
            await runtime.load(version(3), b"\x00 definitely not a model \xff")

    async def test_a_missing_feature_is_named(self, runtime: ModelRuntime, loaded: ModelVersion) -> None:
        with pytest.raises(InvalidValueError) as caught:
            await runtime.predict(loaded, {"rsi": [0.4], "spread": [0.01]})
        assert caught.value.field == "momentum"

    async def test_an_unknown_feature_is_named(self, runtime: ModelRuntime, loaded: ModelVersion) -> None:
        with pytest.raises(InvalidValueError) as caught:
            await runtime.predict(loaded, {**ONE_ROW, "volume": [3.0]})
        assert caught.value.field == "volume"

    @pytest.mark.parametrize("bad", ["0.4", None, [0.4]])  # bools may count as 0 and 1
    async def test_a_value_that_is_not_a_number_is_named_with_its_row(
        self, runtime: ModelRuntime, loaded: ModelVersion, bad: object
    ) -> None:
        with pytest.raises(InvalidValueError) as caught:
            await runtime.predict(loaded, {**ONE_ROW, "spread": [bad]})  # type: ignore[list-item]
        assert caught.value.field == "spread[0]"

    async def test_a_column_that_is_not_a_sequence_is_named(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        with pytest.raises(InvalidValueError) as caught:
            await runtime.predict(loaded, {**ONE_ROW, "rsi": 0.4})  # type: ignore[dict-item]
        assert caught.value.field == "rsi"

    async def test_columns_of_different_lengths_are_refused_naming_the_odd_one(
        self, runtime: ModelRuntime, loaded: ModelVersion
    ) -> None:
        with pytest.raises(InvalidValueError) as caught:
            await runtime.predict(loaded, {**ONE_ROW, "momentum": [0.1, 0.2]})
        assert caught.value.field == "momentum"

    async def test_zero_rows_are_refused(self, runtime: ModelRuntime, loaded: ModelVersion) -> None:
        with pytest.raises(InvalidValueError):
            await runtime.predict(loaded, {"rsi": [], "spread": [], "momentum": []})

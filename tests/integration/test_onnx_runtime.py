"""The onnxruntime adapter on real models: a scikit-learn pipeline exported with skl2onnx, helper-built graphs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import numpy as np
import onnx
import pytest

from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.onnx.model_header import read_header
from galfriday.adapters.onnx.plugin import make_onnx_runtime
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.config import Config
from galfriday.domain.models import FeatureSpec, ModelVersion
from galfriday.errors import ConfigurationError, InvalidValueError, ModelError
from galfriday.hookspecs import AdapterContext
from galfriday.testing.onnx_models import linear_model, logistic_pipeline, per_feature_linear_model

FEATURES = (FeatureSpec("a"), FeatureSpec("b"))


def version(features: tuple[FeatureSpec, ...] = FEATURES, number: int = 1) -> ModelVersion:
    return ModelVersion(
        name="m",
        version=number,
        artifact_uri="memory://m/1/x",
        artifact_sha256="0" * 64,
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
        features=features,
    )


@pytest.fixture
async def runtime() -> AsyncIterator[OnnxModelRuntime]:
    runtime = OnnxModelRuntime()
    yield runtime
    await runtime.close()


async def test_a_scaler_and_logistic_pipeline_matches_scikit_learn(runtime: OnnxModelRuntime) -> None:
    pipeline = logistic_pipeline(3)
    model = version(pipeline.features)
    await runtime.load(model, pipeline.artifact)
    rows = pipeline.x[:50]
    columns = {spec.name: rows[:, i].tolist() for i, spec in enumerate(pipeline.features)}
    prediction = await runtime.predict(model, columns)
    onnx_probabilities = np.array(prediction.outputs["probabilities"]).reshape(-1, 2)
    assert np.max(np.abs(onnx_probabilities - pipeline.native.predict_proba(rows))) <= 1e-5
    assert list(prediction.outputs["label"]) == list(pipeline.native.predict(rows))


async def test_run_sync_gives_what_predict_gives(runtime: OnnxModelRuntime) -> None:
    pipeline = logistic_pipeline(3)
    model = version(pipeline.features)
    await runtime.load(model, pipeline.artifact)
    row = {"f0": [0.3], "f1": [-1.0], "f2": [2.5]}
    synchronous = runtime.run_sync(model, row).outputs
    awaited = (await runtime.predict(model, row)).outputs
    assert {k: list(v) for k, v in synchronous.items()} == {k: list(v) for k, v in awaited.items()}


async def test_describe_reports_ir_version_opset_and_tensors_as_onnx_reads_them(
    runtime: OnnxModelRuntime,
) -> None:
    pipeline = logistic_pipeline(3)
    parsed = onnx.load_model_from_string(pipeline.artifact)
    info = await runtime.describe(pipeline.artifact)
    assert info.format == "onnx"
    assert info.ir_version == parsed.ir_version
    assert info.opset == next(o.version for o in parsed.opset_import if o.domain in ("", "ai.onnx"))
    assert dict(info.opsets) == {o.domain: o.version for o in parsed.opset_import}
    assert info.producer == "skl2onnx"
    assert [(t.name, t.dtype, t.shape[1]) for t in info.inputs] == [("features", "float32", 3)]
    assert [(t.name, t.dtype) for t in info.outputs] == [("label", "int64"), ("probabilities", "float32")]


@pytest.mark.parametrize("opset", [13, 15, 17, 19])
def test_the_header_reader_agrees_with_onnx(opset: int) -> None:
    artifact = linear_model(FEATURES, (1.0, 2.0), 0.0, opset=opset)
    parsed = onnx.load_model_from_string(artifact)
    header = read_header(artifact)
    assert header.ir_version == parsed.ir_version
    assert header.opset == opset
    assert header.producer == "galfriday-tests"


def test_the_header_reader_refuses_bytes_that_are_not_protobuf() -> None:
    with pytest.raises(ModelError, match="not an ONNX model"):
        read_header(b"\xff\xff\xff\xff")


async def test_describe_refuses_an_artifact_the_onnx_checker_rejects(runtime: OnnxModelRuntime) -> None:
    model = onnx.load_model_from_string(linear_model(FEATURES, (1.0, 2.0), 0.0))
    model.graph.node[0].input[1] = "no_such_tensor"
    with pytest.raises(ModelError, match="ONNX checker"):
        await runtime.describe(model.SerializeToString())


async def test_feature_names_can_come_from_the_artifact_metadata(runtime: OnnxModelRuntime) -> None:
    model = version(features=())
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5, name_features=True))
    assert runtime.input_schema(model) == FEATURES
    assert list(runtime.run_sync(model, {"a": [1.0], "b": [1.0]}).outputs["score"]) == [3.5]


async def test_a_matrix_input_without_feature_names_is_refused_at_load(runtime: OnnxModelRuntime) -> None:
    with pytest.raises(ModelError, match="no feature names"):
        await runtime.load(version(features=()), linear_model(FEATURES, (1.0, 2.0), 0.5))


async def test_a_version_declaring_more_features_than_the_graph_takes_is_refused(
    runtime: OnnxModelRuntime,
) -> None:
    three = (*FEATURES, FeatureSpec("c"))
    with pytest.raises(ModelError, match=r"expected \[rows, 3\]"):
        await runtime.load(version(three), linear_model(FEATURES, (1.0, 2.0), 0.5))


async def test_a_feature_dtype_the_graph_does_not_take_is_refused(runtime: OnnxModelRuntime) -> None:
    doubles = (FeatureSpec("a", "float64"), FeatureSpec("b", "float64"))
    with pytest.raises(ModelError, match="not float32"):
        await runtime.load(version(doubles), linear_model(FEATURES, (1.0, 2.0), 0.5))


async def test_a_zipmap_classifier_is_refused_with_the_export_option_to_use(
    runtime: OnnxModelRuntime,
) -> None:
    pipeline = logistic_pipeline(3, zipmap=True)
    with pytest.raises(ModelError, match="zipmap=False"):
        await runtime.load(version(pipeline.features), pipeline.artifact)


async def test_sessions_use_the_configured_thread_counts() -> None:
    runtime = OnnxModelRuntime(intra_op_threads=2, inter_op_threads=1)
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    options = runtime.session(model).get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)
    await runtime.close()


async def test_a_large_batch_runs_in_the_thread_pool_and_a_single_row_does_not() -> None:
    runtime = OnnxModelRuntime(inline_max_rows=4)
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    await runtime.predict(model, {"a": [1.0], "b": [1.0]})
    assert not _pool_threads()
    await runtime.predict(model, {"a": [1.0] * 5, "b": [1.0] * 5})
    assert _pool_threads()
    await runtime.close()
    assert not _pool_threads()


def _pool_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("galfriday-onnx")]


async def test_numpy_columns_are_accepted(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    prediction = runtime.run_sync(model, {"a": np.array([1.0, 2.0]), "b": np.array([0.0, 1.0])})
    assert list(prediction.outputs["score"]) == [1.5, 4.5]


def test_the_plugin_builds_a_runtime_from_the_models_settings() -> None:
    settings = {"intra_op_threads": 2, "inter_op_threads": 1, "inline_max_rows": 8, "executor_threads": 3}
    runtime = make_onnx_runtime(AdapterContext(Config(), settings, SystemClock()))
    assert (runtime.intra_op_threads, runtime.inline_max_rows, runtime.executor_threads) == (2, 8, 3)


@pytest.mark.parametrize(
    ("key", "value"), [("intra_op_threads", -1), ("executor_threads", 0), ("inline_max_rows", "8")]
)
def test_the_plugin_refuses_thread_settings_that_are_not_whole_numbers_in_range(
    key: str, value: object
) -> None:
    with pytest.raises(ConfigurationError, match=key):
        make_onnx_runtime(AdapterContext(Config(), {key: value}, SystemClock()))


async def test_a_misspelt_feature_in_a_mapping_of_the_right_size_is_named(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    with pytest.raises(InvalidValueError) as caught:
        runtime.run_sync(model, {"a": [1.0], "bb": [1.0]})
    assert caught.value.field == "bb"


async def test_none_is_refused_rather_than_read_as_nan(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    with pytest.raises(InvalidValueError) as caught:
        runtime.run_sync(model, {"a": [1.0, None], "b": [1.0, 2.0]})  # type: ignore[list-item]
    assert caught.value.field == "a[1]"


async def test_outputs_are_flat_and_read_only(runtime: OnnxModelRuntime) -> None:
    pipeline = logistic_pipeline(3)
    model = version(pipeline.features)
    await runtime.load(model, pipeline.artifact)
    probabilities = runtime.run_sync(model, pipeline.x[:2]).outputs["probabilities"]
    assert len(probabilities) == 4
    with pytest.raises(ValueError, match="read-only"):
        probabilities[0] = 1.0  # type: ignore[index]


async def test_a_prepared_array_scores_as_its_columns_do(runtime: OnnxModelRuntime) -> None:
    pipeline = logistic_pipeline(3)
    model = version(pipeline.features)
    await runtime.load(model, pipeline.artifact)
    rows = np.ascontiguousarray(pipeline.x[:20], dtype=np.float32)
    columns = {spec.name: rows[:, i].tolist() for i, spec in enumerate(pipeline.features)}
    from_array = (await runtime.predict(model, rows)).outputs["probabilities"]
    from_columns = (await runtime.predict(model, columns)).outputs["probabilities"]
    assert list(from_array) == list(from_columns)


async def test_a_single_row_array_is_one_row(runtime: OnnxModelRuntime) -> None:
    pipeline = logistic_pipeline(3)
    model = version(pipeline.features)
    await runtime.load(model, pipeline.artifact)
    row = np.asarray(pipeline.x[0], dtype=np.float32)
    assert list(runtime.run_sync(model, row).outputs["probabilities"]) == list(
        runtime.run_sync(model, row.reshape(1, 3)).outputs["probabilities"]
    )


async def test_an_array_of_another_numeric_dtype_or_layout_is_cast(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    doubles = np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float64)
    assert list(runtime.run_sync(model, doubles).outputs["score"]) == [1.5, 4.5]
    fortran = np.asfortranarray(doubles.astype(np.float32))
    assert list(runtime.run_sync(model, fortran).outputs["score"]) == [1.5, 4.5]


async def test_an_array_with_the_wrong_number_of_columns_is_refused_naming_its_shape(
    runtime: OnnxModelRuntime,
) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    with pytest.raises(InvalidValueError, match=r"shape \[1, 3\].*\[rows, 2\]"):
        runtime.run_sync(model, np.zeros((1, 3), dtype=np.float32))


async def test_an_array_without_rows_is_refused(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    with pytest.raises(InvalidValueError, match="at least one row"):
        runtime.run_sync(model, np.zeros((0, 2), dtype=np.float32))


@pytest.mark.parametrize("values", [np.array([["a", "b"]]), np.array([[True, False]])])
async def test_an_array_that_is_not_numbers_is_refused(runtime: OnnxModelRuntime, values: object) -> None:
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    with pytest.raises(InvalidValueError, match="numbers"):
        runtime.run_sync(model, values)  # type: ignore[arg-type]


async def test_an_array_feeds_a_graph_that_takes_one_input_per_feature(runtime: OnnxModelRuntime) -> None:
    model = version()
    await runtime.load(model, per_feature_linear_model(FEATURES, (1.0, 2.0), 0.5))
    rows = np.array([[1.0, 0.0], [2.0, 1.0]], dtype=np.float32)
    assert list(runtime.run_sync(model, rows).outputs["score"]) == [1.5, 4.5]


async def test_a_large_prepared_array_runs_in_the_thread_pool() -> None:
    runtime = OnnxModelRuntime(inline_max_rows=4)
    model = version()
    await runtime.load(model, linear_model(FEATURES, (1.0, 2.0), 0.5))
    prediction = await runtime.predict(model, np.ones((5, 2), dtype=np.float32))
    assert _pool_threads()
    assert list(prediction.outputs["score"]) == [3.5] * 5
    await runtime.close()

"""Small real ONNX models for tests and examples: built in memory, in milliseconds (needs the `train` extra).

- `linear_model`: `score = bias + features . weights` over a single `[rows, k]` float input, built with
  `onnx.helper` (the artifact the runtime contract suite uses);
- `logistic_pipeline`: a scikit-learn `StandardScaler` + `LogisticRegression` fitted on seeded synthetic data
  and exported with skl2onnx (the scaler travels inside the graph), returned with the fitted native pipeline
  so tests can compare the two.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from attrs import frozen
from onnx import TensorProto, helper

from galfriday.domain.models import FeatureSpec

OPSET = 17
INPUT = "features"
FEATURES_PROPERTY = "galfriday.features"


def linear_model(
    features: Sequence[FeatureSpec],
    weights: Sequence[float],
    bias: float,
    *,
    opset: int = OPSET,
    name_features: bool = False,
) -> bytes:
    """`score[rows, 1] = features[rows, k] @ weights + bias` in float32; `name_features` records the names."""
    k = len(features)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", [INPUT, "weights"], ["product"]),
            helper.make_node("Add", ["product", "bias"], ["score"]),
        ],
        "linear",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])],
        initializer=[
            helper.make_tensor("weights", TensorProto.FLOAT, [k, 1], [float(w) for w in weights]),
            helper.make_tensor("bias", TensorProto.FLOAT, [1], [float(bias)]),
        ],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="galfriday-tests"
    )
    if name_features:
        helper.set_model_props(model, {FEATURES_PROPERTY: json.dumps([spec.name for spec in features])})
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def per_feature_linear_model(features: Sequence[FeatureSpec], weights: Sequence[float], bias: float) -> bytes:
    """The same score from one `[rows, 1]` input per feature, named after it (the columns layout)."""
    nodes = []
    terms = []
    initializers = [helper.make_tensor("bias", TensorProto.FLOAT, [1], [float(bias)])]
    for spec, weight in zip(features, weights, strict=True):
        initializers.append(helper.make_tensor(f"w_{spec.name}", TensorProto.FLOAT, [1], [float(weight)]))
        nodes.append(helper.make_node("Mul", [spec.name, f"w_{spec.name}"], [f"t_{spec.name}"]))
        terms.append(f"t_{spec.name}")
    nodes.append(helper.make_node("Sum", [*terms, "bias"], ["score"]))
    graph = helper.make_graph(
        nodes,
        "per_feature_linear",
        [helper.make_tensor_value_info(spec.name, TensorProto.FLOAT, ["N", 1]) for spec in features],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


@frozen
class LogisticPipeline:
    """A fitted native pipeline, its ONNX export and the data it was fitted on."""

    artifact: bytes
    native: Any
    features: tuple[FeatureSpec, ...]
    x: Any
    y: Any

    def native_probabilities(self, rows: Any) -> list[list[float]]:
        result: list[list[float]] = self.native.predict_proba(np.asarray(rows, dtype=np.float32)).tolist()
        return result


def logistic_pipeline(
    n_features: int = 3, *, rows: int = 400, seed: int = 7, signal: float = 1.0, zipmap: bool = False
) -> LogisticPipeline:
    """Fit `StandardScaler` + `LogisticRegression` on seeded data (label = sign of a noisy linear score)."""
    from skl2onnx import to_onnx  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(rows, n_features)) * np.linspace(1.0, 5.0, n_features)).astype(np.float32)
    weights = np.linspace(1.0, -0.5, n_features)
    y = ((x / np.linspace(1.0, 5.0, n_features)) @ weights * signal + rng.normal(size=rows) > 0).astype(
        np.int64
    )
    native = make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)
    from skl2onnx.common.data_types import FloatTensorType  # type: ignore[import-untyped]

    options = {id(native.steps[-1][1]): {"zipmap": zipmap}}
    exported = to_onnx(
        native,
        initial_types=[(INPUT, FloatTensorType([None, n_features]))],
        options=options,
        target_opset=OPSET,
    )
    features = tuple(FeatureSpec(f"f{i}") for i in range(n_features))
    return LogisticPipeline(exported.SerializeToString(), native, features, x, y)

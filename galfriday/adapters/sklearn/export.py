"""Export a fitted scikit-learn classifier pipeline to a self-contained ONNX artifact.

The scaler travels inside the graph; the input is one float32 matrix `features [rows, k]` whose columns
are named in the `galfriday.features` metadata property (what the onnx runtime adapter reads); outputs are
`label` and `probabilities [rows, 2]` as plain tensors (no ZipMap).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import onnx
from skl2onnx import to_onnx  # type: ignore[import-untyped]
from skl2onnx.common.data_types import FloatTensorType  # type: ignore[import-untyped]

INPUT = "features"
OPSET = 17
FEATURES_PROPERTY = "galfriday.features"


def export_pipeline(pipeline: Any, feature_names: Sequence[str]) -> onnx.ModelProto:
    """The pipeline as a checked ONNX model (opset 17) with its feature names recorded."""
    classifier = pipeline.steps[-1][1]
    model: onnx.ModelProto = to_onnx(
        pipeline,
        initial_types=[(INPUT, FloatTensorType([None, len(feature_names)]))],
        options={id(classifier): {"zipmap": False}},
        target_opset=OPSET,
    )
    onnx.helper.set_model_props(model, {FEATURES_PROPERTY: json.dumps(list(feature_names))})
    onnx.checker.check_model(model)
    return model

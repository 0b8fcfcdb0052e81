"""The memory and ONNX model runtimes honour the model runtime contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from galfriday.adapters.memory.runtime import LinearModel, MemoryModelRuntime
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.models import FeatureSpec
from galfriday.testing.model_runtime_contract import LinearArtifact, ModelRuntimeContract
from galfriday.testing.onnx_models import linear_model, per_feature_linear_model


def memory_linear(features: Sequence[FeatureSpec], weights: Sequence[float], bias: float) -> bytes:
    return LinearModel(features=tuple(features), weights=tuple(weights), bias=bias).to_bytes()


class TestMemoryModelRuntime(ModelRuntimeContract):
    @pytest.fixture
    def runtime(self) -> MemoryModelRuntime:
        return MemoryModelRuntime()

    @pytest.fixture
    def linear_artifact(self) -> LinearArtifact:
        return memory_linear


class TestOnnxModelRuntime(ModelRuntimeContract):
    """A single [rows, features] input, small inline batches, larger ones in the thread pool."""

    @pytest.fixture
    async def runtime(self) -> AsyncIterator[OnnxModelRuntime]:
        runtime = OnnxModelRuntime(inline_max_rows=2)
        yield runtime
        await runtime.close()

    @pytest.fixture
    def linear_artifact(self) -> LinearArtifact:
        return linear_model


class TestOnnxModelRuntimePerFeatureInputs(ModelRuntimeContract):
    """One graph input per feature (the columns layout), every batch in the thread pool."""

    @pytest.fixture
    async def runtime(self) -> AsyncIterator[OnnxModelRuntime]:
        runtime = OnnxModelRuntime(inline_max_rows=0)
        yield runtime
        await runtime.close()

    @pytest.fixture
    def linear_artifact(self) -> LinearArtifact:
        return per_feature_linear_model

"""Model ports: where artifacts live, how they run, and how new ones are trained."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from galfriday.domain.model_artifacts import ArtifactInfo
from galfriday.domain.models import FeatureSpec, ModelVersion, Prediction, TrainedModel, TrainingRequest


class ArtifactStore(Protocol):
    async def put(self, name: str, version: int, data: bytes) -> tuple[str, str]:
        """Store an artifact; return its URI and the sha256 (hex) of its bytes."""
        ...

    async def get(self, uri: str, expected_sha256: str) -> bytes:
        """Read an artifact; `IntegrityError` if its bytes do not hash to `expected_sha256`."""
        ...

    async def delete(self, uri: str) -> None: ...


class ModelRuntime(Protocol):
    async def load(self, model: ModelVersion, artifact: bytes) -> None:
        """Prepare a session for `model` (cached; loading twice is a no-op)."""
        ...

    def input_schema(self, model: ModelVersion) -> tuple[FeatureSpec, ...]:
        """The inputs the loaded artifact declares."""
        ...

    async def predict(self, model: ModelVersion, features: Mapping[str, Sequence[float]]) -> Prediction:
        """Run inference off the event loop; inputs are validated against the declared schema."""
        ...

    async def unload(self, model: ModelVersion) -> None: ...


@runtime_checkable
class ArtifactInspector(Protocol):
    """Optional runtime capability: check an artifact before it is registered and say what it declares."""

    async def describe(self, artifact: bytes) -> ArtifactInfo:
        """Format, IR version, opset, inputs and outputs; `ModelError` if the runtime cannot run it."""
        ...


class Trainer(Protocol):
    async def train(self, request: TrainingRequest) -> TrainedModel:
        """Train a model and return a self-contained artifact (preprocessing inside the graph)."""
        ...

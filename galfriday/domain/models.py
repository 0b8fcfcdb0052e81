"""Model versions, stages and predictions: the shapes the model ports speak."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from galfriday.domain.timestamps import optional_utc, to_utc
from galfriday.errors import InvalidValueError

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _sha256(value: object) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidValueError("artifact_sha256", value, "64 lower-case hex digits")
    return value


def _features(value: Iterable[FeatureSpec]) -> tuple[FeatureSpec, ...]:
    """attrs converter: any iterable of specs becomes a tuple (a bare `tuple` leaves mypy an unsolved type)."""
    return tuple(value)


class ModelStage(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"


@frozen
class FeatureSpec:
    """One named model input column with its element type."""

    name: str
    dtype: str = "float32"


@frozen
class ModelVersion:
    """A registered version. `version` is assigned by the store: 1, 2, ... per model name."""

    name: str
    version: int
    artifact_uri: str
    artifact_sha256: str = field(converter=_sha256)
    created_at: datetime = field(converter=to_utc)
    stage: ModelStage = field(default=ModelStage.DEVELOPMENT, converter=ModelStage)
    features: tuple[FeatureSpec, ...] = field(default=(), converter=_features)
    parent_version: int | None = None
    metadata: dict[str, Any] = field(factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)


@frozen
class ModelAliasChange:
    """One entry of the append-only alias history: alias moved from one version to another."""

    name: str
    alias: str
    from_version: int | None
    to_version: int | None
    at: datetime = field(converter=to_utc)
    actor: str = "system"
    reason: str = ""


@frozen
class ModelStageChange:
    """One entry of the append-only stage history: a version moved from one stage to another."""

    name: str
    version: int
    from_stage: ModelStage = field(converter=ModelStage)
    to_stage: ModelStage = field(converter=ModelStage)
    at: datetime = field(converter=to_utc)
    actor: str = "system"
    reason: str = ""


@frozen
class Prediction:
    """One inference result: the output values per output name, each flat and row-major.

    An output is any read-only sequence of numbers: a runtime may hand back its own arrays (the ONNX adapter
    gives read-only numpy arrays, so the serving path copies nothing) rather than tuples of Python floats. Code
    that needs plain floats converts when it needs them (the prediction log does so when it builds its
    `PredictionRecord`s, off the serving path).
    """

    model: str
    version: int
    outputs: Mapping[str, Sequence[float]]
    latency_seconds: float


@frozen
class TrainingRequest:
    model_name: str
    window_start: datetime | None = field(default=None, converter=optional_utc)
    window_end: datetime | None = field(default=None, converter=optional_utc)
    hyperparameters: dict[str, Any] = field(factory=dict)
    parent_version: int | None = None


@frozen
class TrainedModel:
    """What a trainer produces: a self-contained ONNX artifact and its metadata."""

    model_name: str
    artifact: bytes = field(repr=lambda b: f"<{len(b)} bytes>")
    features: tuple[FeatureSpec, ...] = field(converter=_features)
    metrics: dict[str, float] = field(factory=dict)
    metadata: dict[str, Any] = field(factory=dict)

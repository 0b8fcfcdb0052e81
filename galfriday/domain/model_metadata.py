"""What the registry records about a model version beyond its artifact, and how it is kept as a JSON document.

A `ModelVersion` carries a plain `metadata` dict (JSON on every store). `VersionMetadata` is its typed reading:
the training window and data fingerprint (lineage to the data), hyperparameters, metrics per split, feature
importance, code version, the artifact's format, ONNX IR version and opset, the schema hash of the features,
the holdout scores and reference batch the promotion gates use, who registered it and why, and when it
expires. Keys it does not know are kept in `extra`, so metadata written by other tools survives a round trip.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import field, frozen

from galfriday.domain.json_documents import json_value
from galfriday.domain.models import FeatureSpec
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.domain.timestamps import optional_utc
from galfriday.errors import InvalidValueError


def schema_hash(features: Iterable[FeatureSpec]) -> str:
    """sha256 of the features' names and dtypes in order: equal hashes mean interchangeable inputs."""
    document = json.dumps([[spec.name, spec.dtype] for spec in features], separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()


def _columns(value: Mapping[str, Sequence[float]]) -> dict[str, tuple[float, ...]]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidValueError("reference.inputs", value, "one column of numbers per feature")
    return {str(name): tuple(float(v) for v in column) for name, column in value.items()}


def _rows(value: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in value)


@frozen
class ReferenceBatch:
    """A fixed batch of inputs (one column per feature) and the native model's outputs on it, row by row.

    The parity gate compares the runtime's outputs on `inputs` with `outputs`; each output row holds the class
    probabilities (or a single probability of the positive class).
    """

    inputs: dict[str, tuple[float, ...]] = field(converter=_columns)
    outputs: tuple[tuple[float, ...], ...] = field(converter=_rows)

    def __attrs_post_init__(self) -> None:
        lengths = {name: len(column) for name, column in self.inputs.items()}
        if len(set(lengths.values())) != 1 or next(iter(lengths.values())) != len(self.outputs):
            raise InvalidValueError(
                "reference", lengths, f"columns of equal length, one per output row ({len(self.outputs)})"
            )
        if not self.outputs:
            raise InvalidValueError("reference.outputs", self.outputs, "at least one row")

    def to_json(self) -> dict[str, Any]:
        return {
            "inputs": {k: list(v) for k, v in self.inputs.items()},
            "outputs": [list(r) for r in self.outputs],
        }


def _holdout_json(holdout: HoldoutMetrics) -> dict[str, Any]:
    return {
        "holdout_id": holdout.holdout_id,
        "brier": holdout.brier,
        "log_loss": holdout.log_loss,
        "hit_rate": holdout.hit_rate,
    }


def _holdout(value: Any) -> HoldoutMetrics | None:
    if value is None or isinstance(value, HoldoutMetrics):
        return value
    try:
        return HoldoutMetrics(
            holdout_id=str(value["holdout_id"]),
            brier=float(value["brier"]),
            log_loss=float(value["log_loss"]),
            hit_rate=float(value["hit_rate"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InvalidValueError(
            "holdout", value, "an object with holdout_id, brier, log_loss, hit_rate"
        ) from None


def _reference(value: Any) -> ReferenceBatch | None:
    if value is None or isinstance(value, ReferenceBatch):
        return value
    try:
        return ReferenceBatch(inputs=value["inputs"], outputs=value["outputs"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidValueError):
            raise
        raise InvalidValueError(
            "reference", value, "an object with inputs (columns) and outputs (rows)"
        ) from None


def _json_object(value: Any) -> dict[str, Any]:
    copied = json_value("metadata", value or {})
    if not isinstance(copied, dict):
        raise InvalidValueError("metadata", value, "a JSON object")
    return copied


@frozen
class VersionMetadata:
    """The typed reading of `ModelVersion.metadata` (every field optional; see the module docstring)."""

    trained_at: datetime | None = field(default=None, converter=optional_utc)
    data_window_start: datetime | None = field(default=None, converter=optional_utc)
    data_window_end: datetime | None = field(default=None, converter=optional_utc)
    data_fingerprint: str | None = None
    hyperparameters: dict[str, Any] = field(factory=dict, converter=_json_object)
    metrics: dict[str, Any] = field(factory=dict, converter=_json_object)
    """Split -> metric -> value, such as {"holdout": {"brier": 0.21}}."""
    feature_importance: dict[str, Any] = field(factory=dict, converter=_json_object)
    code_version: str | None = None
    training_run_id: str | None = None
    artifact_format: str | None = None
    onnx_ir_version: int | None = None
    onnx_opset: int | None = None
    schema_hash: str | None = None
    holdout: HoldoutMetrics | None = field(default=None, converter=_holdout)
    reference: ReferenceBatch | None = field(default=None, converter=_reference)
    probability_output: str | None = None
    """The runtime output holding the class probabilities (default: `probabilities`, else the only output)."""
    expires_at: datetime | None = field(default=None, converter=optional_utc)
    registered_by: str | None = None
    registration_reason: str | None = None
    extra: dict[str, Any] = field(factory=dict, converter=_json_object)

    def __attrs_post_init__(self) -> None:
        window = (self.data_window_start, self.data_window_end)
        if window[0] is not None and window[1] is not None and window[1] < window[0]:
            raise InvalidValueError(
                "data_window_end", window[1], f"at or after data_window_start {window[0]}"
            )

    def expired(self, at: datetime) -> bool:
        """Whether the version is past its `expires_at` at instant `at` (never, without one)."""
        return self.expires_at is not None and at >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        """The JSON document stored as `ModelVersion.metadata` (None fields left out, instants in ISO 8601)."""
        document: dict[str, Any] = dict(self.extra)
        for key in _INSTANTS:
            value = getattr(self, key)
            if value is not None:
                document[key] = value.isoformat()
        for key in _PLAIN:
            value = getattr(self, key)
            if value is not None and value != {}:
                document[key] = value
        if self.holdout is not None:
            document["holdout"] = _holdout_json(self.holdout)
        if self.reference is not None:
            document["reference"] = self.reference.to_json()
        return document

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> VersionMetadata:
        """Read a stored document; unknown keys land in `extra`."""
        known = {key: document[key] for key in _ALL if key in document}
        for key in _INSTANTS:
            if isinstance(known.get(key), str):
                try:
                    known[key] = datetime.fromisoformat(known[key])
                except ValueError:
                    raise InvalidValueError(
                        key, known[key], "an ISO 8601 instant with a UTC offset"
                    ) from None
        extra = {key: value for key, value in document.items() if key not in _ALL}
        return cls(**known, extra=extra)


_INSTANTS = ("trained_at", "data_window_start", "data_window_end", "expires_at")
_PLAIN = (
    "data_fingerprint",
    "hyperparameters",
    "metrics",
    "feature_importance",
    "code_version",
    "training_run_id",
    "artifact_format",
    "onnx_ir_version",
    "onnx_opset",
    "schema_hash",
    "probability_output",
    "registered_by",
    "registration_reason",
)
_ALL = frozenset((*_INSTANTS, *_PLAIN, "holdout", "reference"))

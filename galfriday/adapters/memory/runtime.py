"""Model runtime fake for tests and embedding apps: runs a tiny self-describing linear model format.

The production runtime is ONNX (a later adapter); this one keeps the same port semantics (loading is cached,
inputs are validated against the declared features, latency is measured) without any native dependency.
An artifact is UTF-8 JSON:

    {"format": "galfriday-linear/1", "features": [{"name": "x1", "dtype": "float32"}], "weights": [2.0],
     "bias": 0.5, "link": "identity" | "logistic", "output": "score"}

The score of a row is `link(bias + sum(weight * feature))`. Arithmetic is in Python floats (float64).
Inference runs inline rather than in a thread: a linear model over a batch costs less than the thread hop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, Final

from attrs import frozen

from galfriday.domain.models import FeatureSpec, ModelVersion, Prediction
from galfriday.errors import InvalidValueError, ModelError

FORMAT: Final = "galfriday-linear/1"
LINKS: Final = ("identity", "logistic")
DTYPES: Final = ("float32",)


@frozen
class LinearModel:
    """A parsed `galfriday-linear/1` artifact."""

    features: tuple[FeatureSpec, ...]
    weights: tuple[float, ...]
    bias: float
    link: str = "identity"
    output: str = "score"

    def __attrs_post_init__(self) -> None:
        names = [spec.name for spec in self.features]
        if not names:
            raise ModelError("linear model: declares no features; expected at least one")
        if any(not isinstance(name, str) or not name for name in names):
            raise ModelError(f"linear model: feature names {names!r}; expected non-empty strings")
        if len(set(names)) != len(names):
            raise ModelError(f"linear model: feature names {names!r} repeat; expected unique names")
        if bad := [spec for spec in self.features if spec.dtype not in DTYPES]:
            raise ModelError(f"linear model: feature dtypes {bad!r}; expected one of {DTYPES}")
        if len(self.weights) != len(self.features):
            raise ModelError(
                f"linear model: {len(self.weights)} weights for {len(self.features)} features; "
                "expected one weight per feature"
            )
        if not all(_is_number(w) and math.isfinite(w) for w in (*self.weights, self.bias)):
            raise ModelError(
                f"linear model: weights {self.weights!r}, bias {self.bias!r}; expected finite numbers"
            )
        if self.link not in LINKS:
            raise ModelError(f"linear model: link {self.link!r}; expected one of {LINKS}")
        if not isinstance(self.output, str) or not self.output:
            raise ModelError(f"linear model: output {self.output!r}; expected a non-empty name")

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        """Parse and validate an artifact; `ModelError` says what is wrong with it."""
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"linear model: artifact is not UTF-8 JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise ModelError(f"linear model: format {found!r}; expected {FORMAT!r}")
        try:
            features = tuple(FeatureSpec(f["name"], f.get("dtype", "float32")) for f in doc["features"])
            return cls(
                features=features,
                weights=tuple(doc["weights"]),
                bias=doc["bias"],
                link=doc.get("link", "identity"),
                output=doc.get("output", "score"),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"linear model: malformed artifact ({type(exc).__name__}: {exc})") from None

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys), so the same model always has the same sha256."""
        doc = {
            "format": FORMAT,
            "features": [{"name": spec.name, "dtype": spec.dtype} for spec in self.features],
            "weights": [float(w) for w in self.weights],
            "bias": float(self.bias),
            "link": self.link,
            "output": self.output,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()

    def columns(self, features: Mapping[str, Sequence[float]]) -> list[Sequence[float]]:
        """The input columns in declared order; `InvalidValueError` naming the first offending feature."""
        declared = [spec.name for spec in self.features]
        for name in features:
            if name not in declared:
                raise InvalidValueError(
                    name, features[name], f"no such feature; the model declares {declared}"
                )
        columns: list[Sequence[float]] = []
        for name in declared:
            if name not in features:
                raise InvalidValueError(name, None, f"a sequence of floats (the model declares {declared})")
            column = features[name]
            if isinstance(column, str | bytes) or not isinstance(column, Sequence):
                raise InvalidValueError(name, column, "a sequence of floats, one per row")
            for index, value in enumerate(column):
                if not _is_number(value):
                    raise InvalidValueError(f"{name}[{index}]", value, "a float")
            columns.append(column)
        rows = len(columns[0])
        if rows == 0:
            raise InvalidValueError(declared[0], columns[0], "at least one row")
        for name, column in zip(declared, columns, strict=True):
            if len(column) != rows:
                raise InvalidValueError(
                    name, f"{len(column)} rows", f"{rows} rows, as many as {declared[0]!r} has"
                )
        return columns

    def score(self, columns: Sequence[Sequence[float]]) -> tuple[float, ...]:
        """`link(bias + weights . row)` for every row of the (validated) columns."""
        linear = [
            self.bias + math.fsum(w * float(x) for w, x in zip(self.weights, row, strict=True))
            for row in zip(*columns, strict=True)
        ]
        if self.link == "logistic":
            return tuple(logistic(z) for z in linear)
        return tuple(linear)


def logistic(z: float) -> float:
    """1 / (1 + e^-z) without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


class MemoryModelRuntime:
    """`ModelRuntime` for `galfriday-linear/1` artifacts, caching parsed models by (name, version)."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], LinearModel] = {}

    @property
    def loaded(self) -> frozenset[tuple[str, int]]:
        """The (name, version) keys currently loaded."""
        return frozenset(self._models)

    async def load(self, model: ModelVersion, artifact: bytes) -> None:
        """Parse the artifact (`ModelError` if it is invalid); a version already loaded is left as it is."""
        if model.key not in self._models:
            self._models[model.key] = LinearModel.from_bytes(artifact)

    def input_schema(self, model: ModelVersion) -> tuple[FeatureSpec, ...]:
        return self._loaded(model).features

    async def predict(self, model: ModelVersion, features: Mapping[str, Sequence[float]]) -> Prediction:
        """Score a batch given as one column per feature; outputs `{output name: one score per row}`."""
        linear = self._loaded(model)
        started = time.perf_counter()
        scores = linear.score(linear.columns(features))
        latency = time.perf_counter() - started
        return Prediction(
            model=model.name, version=model.version, outputs={linear.output: scores}, latency_seconds=latency
        )

    async def unload(self, model: ModelVersion) -> None:
        """Forget the model; unloading one that is not loaded is a no-op."""
        self._models.pop(model.key, None)

    def _loaded(self, model: ModelVersion) -> LinearModel:
        try:
            return self._models[model.key]
        except KeyError:
            raise ModelError(
                f"model {model.name!r} version {model.version} is not loaded; call load() first"
            ) from None

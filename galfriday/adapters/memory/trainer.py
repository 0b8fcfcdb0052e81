"""Trainer fake that really fits: least squares (or logistic regression) on rows from a dataset callable.

It produces `galfriday-linear/1` artifacts that `MemoryModelRuntime` runs, so tests and embedding apps can
exercise the whole train, store, load, predict loop without ONNX. Pure Python: fine for thousands of rows
and a handful of features, which is what it is for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any, Final

from galfriday.adapters.memory.runtime import LINKS, LinearModel, logistic
from galfriday.domain.models import FeatureSpec, TrainedModel, TrainingRequest
from galfriday.errors import InvalidValueError, ModelError

Dataset = Callable[[TrainingRequest], tuple[list[dict[str, float]], list[float]]]

DEFAULT_RIDGE: Final = 1e-8  # keeps the normal equations solvable without visibly biasing the fit
HOLDOUT_FRACTION: Final = 0.2
MAX_IRLS_ITERATIONS: Final = 100
IRLS_TOLERANCE: Final = 1e-10


class MemoryTrainer:
    """`Trainer` fitting a linear model on `dataset(request)`: (rows of named features, targets).

    The last 20% of rows are held out. Hyperparameters: `ridge` (float >= 0, L2 penalty on the weights,
    not the bias; default 1e-8) and `link` ("identity": least squares; "logistic": logistic regression by
    iteratively reweighted least squares, targets in [0, 1]). Features are ordered by name.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    async def train(self, request: TrainingRequest) -> TrainedModel:
        ridge, link = _hyperparameters(request.hyperparameters)
        rows, targets = self.dataset(request)
        names, matrix, y = _design(rows, targets, link)
        n_holdout = math.floor(len(y) * HOLDOUT_FRACTION)
        n_train = len(y) - n_holdout
        weights, bias, iterations = await asyncio.to_thread(_fit, matrix[:n_train], y[:n_train], ridge, link)
        model = LinearModel(
            features=tuple(FeatureSpec(name, "float32") for name in names),
            weights=tuple(weights),
            bias=bias,
            link=link,
        )
        predicted = model.score(list(zip(*matrix, strict=True)))
        metadata: dict[str, Any] = {
            "trainer": "memory",
            "n_rows": len(y),
            "n_train": n_train,
            "n_holdout": n_holdout,
            "hyperparameters": {"ridge": ridge, "link": link},
            "data_fingerprint": _fingerprint(names, matrix, y),
        }
        if link == "logistic":
            metadata["iterations"] = iterations
            metadata["converged"] = iterations < MAX_IRLS_ITERATIONS
        return TrainedModel(
            model_name=request.model_name,
            artifact=model.to_bytes(),
            features=model.features,
            metrics={
                "train_mse": _mse(predicted[:n_train], y[:n_train]),
                "holdout_mse": _mse(predicted[n_train:], y[n_train:]),
            },
            metadata=metadata,
        )


def _hyperparameters(given: Mapping[str, Any]) -> tuple[float, str]:
    known = ("link", "ridge")
    for key in given:
        if key not in known:
            raise InvalidValueError("hyperparameters", key, f"one of {list(known)}")
    ridge = given.get("ridge", DEFAULT_RIDGE)
    if not _is_number(ridge) or not math.isfinite(ridge) or ridge < 0:
        raise InvalidValueError("ridge", ridge, "a finite number >= 0")
    link = given.get("link", "identity")
    if link not in LINKS:
        raise InvalidValueError("link", link, f"one of {list(LINKS)}")
    return float(ridge), str(link)


def _design(
    rows: Sequence[Mapping[str, float]], targets: Sequence[float], link: str
) -> tuple[list[str], list[list[float]], list[float]]:
    """Validate the dataset; return sorted feature names, the row-major matrix and the targets as floats."""
    minimum = math.ceil(1 / HOLDOUT_FRACTION)
    if len(rows) < minimum:
        raise InvalidValueError(
            "rows", f"{len(rows)} rows", f"at least {minimum} (the last 20% are held out)"
        )
    if len(targets) != len(rows):
        raise InvalidValueError("targets", f"{len(targets)} targets", f"one per row ({len(rows)})")
    names = sorted(rows[0])
    if not names:
        raise InvalidValueError("rows[0]", rows[0], "at least one named feature")
    matrix: list[list[float]] = []
    for index, row in enumerate(rows):
        if sorted(row) != names:
            raise InvalidValueError(f"rows[{index}]", sorted(row), f"the features of rows[0]: {names}")
        values = [row[name] for name in names]
        if not all(_is_number(v) and math.isfinite(v) for v in values):
            raise InvalidValueError(f"rows[{index}]", row, "finite numbers")
        matrix.append([float(v) for v in values])
    for index, target in enumerate(targets):
        if not _is_number(target) or not math.isfinite(target):
            raise InvalidValueError(f"targets[{index}]", target, "a finite number")
        if link == "logistic" and not 0 <= target <= 1:
            raise InvalidValueError(f"targets[{index}]", target, "a number in [0, 1] for the logistic link")
    return names, matrix, [float(t) for t in targets]


def _fit(
    matrix: list[list[float]], y: list[float], ridge: float, link: str
) -> tuple[list[float], float, int]:
    """Weights, bias and iterations: one weighted least squares solve, or IRLS (Newton) if logistic."""
    design = [[*row, 1.0] for row in matrix]  # the last coefficient is the bias
    if link == "identity":
        beta = _weighted_least_squares(design, y, [1.0] * len(y), ridge)
        return beta[:-1], beta[-1], 1
    beta = [0.0] * len(design[0])
    for iteration in range(1, MAX_IRLS_ITERATIONS + 1):
        eta = [_dot(beta, row) for row in design]
        p = [logistic(e) for e in eta]
        w = [max(pi * (1.0 - pi), 1e-12) for pi in p]
        z = [e + (yi - pi) / wi for e, yi, pi, wi in zip(eta, y, p, w, strict=True)]
        updated = _weighted_least_squares(design, z, w, ridge)
        step = max(abs(a - b) for a, b in zip(updated, beta, strict=True))
        beta = updated
        if step < IRLS_TOLERANCE:
            return beta[:-1], beta[-1], iteration
    return beta[:-1], beta[-1], MAX_IRLS_ITERATIONS


def _weighted_least_squares(
    design: list[list[float]], z: list[float], w: list[float], ridge: float
) -> list[float]:
    """Solve (A'WA + ridge * I') beta = A'Wz, where I' leaves the bias (last column) unpenalised."""
    size = len(design[0])
    normal = [[0.0] * size for _ in range(size)]
    rhs = [0.0] * size
    for row, zi, wi in zip(design, z, w, strict=True):
        for i in range(size):
            wx = wi * row[i]
            rhs[i] += wx * zi
            normal_i = normal[i]
            for j in range(i, size):
                normal_i[j] += wx * row[j]
    for i in range(size):
        for j in range(i):
            normal[i][j] = normal[j][i]
        if i < size - 1:
            normal[i][i] += ridge
    return _solve(normal, rhs)


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting; `ModelError` if the system is singular."""
    size = len(rhs)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    tolerance = 1e-12 * max(1.0, max(abs(a[i][i]) for i in range(size)))
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= tolerance:
            raise ModelError(
                "cannot fit: the features are collinear or there are too few rows; "
                "add rows or raise the 'ridge' hyperparameter"
            )
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, size):
            factor = a[r][col] / a[col][col]
            if factor:
                for c in range(col, size + 1):
                    a[r][c] -= factor * a[col][c]
    beta = [0.0] * size
    for r in reversed(range(size)):
        beta[r] = (a[r][size] - _dot(a[r][r + 1 : size], beta[r + 1 :])) / a[r][r]
    return beta


def _fingerprint(names: list[str], matrix: list[list[float]], y: list[float]) -> str:
    """sha256 of the rows and targets in canonical JSON: the same data always gives the same fingerprint."""
    doc = {"features": names, "rows": matrix, "targets": y}
    return hashlib.sha256(json.dumps(doc, separators=(",", ":")).encode()).hexdigest()


def _mse(predicted: Sequence[float], actual: Sequence[float]) -> float:
    return math.fsum((p - a) ** 2 for p, a in zip(predicted, actual, strict=True)) / len(actual)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)

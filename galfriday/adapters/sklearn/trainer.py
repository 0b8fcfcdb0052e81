"""`SklearnTrainer`: predicts whether the close rises over the next `horizon` bars, from stored candles.

For a request's window it reads one symbol's candles from the store, computes the documented candle features
(`galfriday.domain.candle_features`) and labels, and fits `StandardScaler` + `LogisticRegression` on float32
rows (the precision the ONNX graph computes in). Rows are time-ordered: the last 20 % are the validation
holdout, behind a purge gap of `horizon` rows; the hyperparameter search scores each candidate by mean log
loss over expanding walk-forward folds of the rows before it, within a budget of trials and seconds. The
shipped model is the best candidate fitted on the pre-holdout rows, so its validation metrics are honest.

The artifact is self-contained ONNX (scaler inside). The metadata carries what the registry and monitoring
need: the symbol and interval, the data window and a sha256 fingerprint of the candles, the chosen
hyperparameters and the search's trials, metrics per split, feature importance (|coefficient| on
standardised features, normalised), the training reference for drift, the ONNX IR version and opset, and
what the registry's promotion gates read: `holdout` (its id names the symbol, interval, horizon and holdout
bars, so two models are compared only on the same holdout), `holdout_window`, and a `reference` batch of 32
holdout rows with the native pipeline's probabilities (the parity gate).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.metrics import log_loss  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

from galfriday import __version__
from galfriday.adapters.sklearn.export import OPSET, export_pipeline
from galfriday.adapters.sklearn.search import SearchResult, search
from galfriday.domain.candle_features import FEATURE_NAMES, candle_features, direction_labels
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.market_data import Candle
from galfriday.domain.models import FeatureSpec, TrainedModel, TrainingRequest
from galfriday.domain.walk_forward import Split, expanding_folds, holdout_split
from galfriday.errors import ConfigurationError, InvalidValueError, ModelError
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store

TRAIN_PERIOD = timedelta(days=90)
MIN_ROWS = 200
FOLDS = 4
MAX_TRIALS = 8
TIME_BUDGET_SECONDS = 60.0
HOLDOUT_FRACTION = 0.2
HYPERPARAMETERS = ("C", "max_trials", "time_budget_seconds")
REFERENCE_ROWS = 32
"""Holdout rows kept with the native model's probabilities, for the registry's parity gate."""


class SklearnTrainer:
    """`Trainer` over a store's candles for one symbol and interval (see the module docstring)."""

    def __init__(
        self,
        store: Store | None,
        *,
        symbol: str,
        interval_seconds: int,
        horizon: int = 1,
        train_period: timedelta = TRAIN_PERIOD,
        folds: int = FOLDS,
        max_trials: int = MAX_TRIALS,
        time_budget_seconds: float = TIME_BUDGET_SECONDS,
        seed: int = 0,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if horizon < 1:
            raise InvalidValueError("horizon", horizon, "at least 1 bar")
        self.store = store
        self.symbol = symbol
        self.interval_seconds = interval_seconds
        self.horizon = horizon
        self.train_period = train_period
        self.folds = folds
        self.max_trials = max_trials
        self.time_budget_seconds = time_budget_seconds
        self.seed = seed
        self.clock = clock
        self._monotonic = monotonic

    async def train(self, request: TrainingRequest) -> TrainedModel:
        start, end = self._window(request)
        candles = await self._candles(start, end)
        budget = _budget(request.hyperparameters, self.max_trials, self.time_budget_seconds)
        return await asyncio.to_thread(self._fit, request, candles, start, end, budget)

    def _window(self, request: TrainingRequest) -> tuple[datetime, datetime]:
        end = request.window_end
        if end is None:
            if self.clock is None:
                raise InvalidValueError(
                    "window_end", None, "a training window end (or a trainer with a clock)"
                )
            end = self.clock.now()
        start = request.window_start or end - self.train_period
        if start >= end:
            raise InvalidValueError("window_start", start, f"before window_end {end.isoformat()}")
        return start, end

    async def _candles(self, start: datetime, end: datetime) -> list[Candle]:
        if self.store is None:
            raise ConfigurationError(
                "trainer", "sklearn", "a store to read candles from: construct SklearnTrainer(store, ...)"
            )
        async with self.store.unit_of_work() as uow:
            return await uow.candles.range(self.symbol, self.interval_seconds, start, end)

    def _fit(
        self,
        request: TrainingRequest,
        candles: list[Candle],
        start: datetime,
        end: datetime,
        budget: tuple[dict[str, Any], int, float],
    ) -> TrainedModel:
        fixed, max_trials, seconds = budget
        labels = direction_labels(candles, self.horizon)
        if len(labels) < MIN_ROWS:
            raise InvalidValueError(
                "training window",
                f"{len(candles)} candles of {self.symbol} from {start.isoformat()} to {end.isoformat()}",
                f"at least {MIN_ROWS} labelled rows (candles: rows + {self.horizon} + warm-up)",
            )
        table = candle_features(candles)
        x = np.asarray(table.row_major()[: len(labels)], dtype=np.float32)
        y = np.asarray(labels, dtype=np.int64)
        holdout = holdout_split(len(y), HOLDOUT_FRACTION, purge=self.horizon)
        searchable = holdout.train_end
        folds = expanding_folds(searchable, self.folds, purge=self.horizon)

        def score(params: dict[str, Any]) -> float:
            return float(np.mean([_fold_loss(x, y, fold, params) for fold in folds]))

        if fixed:
            result = search(lambda _: score(fixed), max_trials=1, time_budget_seconds=0.0)
            params = fixed
        else:
            result = search(
                score,
                max_trials=max_trials,
                time_budget_seconds=seconds,
                seed=self.seed,
                monotonic=self._monotonic,
            )
            params = result.best.params
        pipeline = _pipeline(params).fit(x[:searchable], y[:searchable])
        model = export_pipeline(pipeline, FEATURE_NAMES)
        metrics = {
            "train": _metrics(pipeline, x[:searchable], y[:searchable]),
            "validation": _metrics(pipeline, x[holdout.validate_start :], y[holdout.validate_start :]),
            "cv": {"log_loss": result.best.score if not fixed else result.trials[0].score},
        }
        training_columns = {
            name: x[:searchable, i].astype(float).tolist() for i, name in enumerate(FEATURE_NAMES)
        }
        coefficients = np.abs(pipeline.steps[-1][1].coef_[0])
        importance = coefficients / coefficients.sum() if coefficients.sum() > 0 else coefficients
        metadata: dict[str, Any] = {
            "trainer": "sklearn",
            "code_version": __version__,
            "symbol": self.symbol,
            "interval_seconds": self.interval_seconds,
            "horizon": self.horizon,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "data_window_start": candles[0].open_time.isoformat(),
            "data_window_end": candles[-1].open_time.isoformat(),
            "rows": {"total": len(y), "train": searchable, "validation": len(y) - holdout.validate_start},
            "data_fingerprint": fingerprint(candles),
            "hyperparameters": params,
            "search": _search_document(result, fixed=bool(fixed)),
            "metrics": metrics,
            "feature_importance": dict(zip(FEATURE_NAMES, importance.astype(float).tolist(), strict=True)),
            "training_reference": TrainingReference.from_columns(training_columns).to_document(),
            "onnx_ir_version": model.ir_version,
            "onnx_opset": OPSET,
            "parent_version": request.parent_version,
        }
        validation = metrics["validation"]
        first, last = table.times[holdout.validate_start], table.times[len(y) - 1]
        metadata["holdout_window"] = [first.isoformat(), last.isoformat()]
        series = f"{self.symbol}/{self.interval_seconds}s/h{self.horizon}"
        metadata["holdout"] = {
            "holdout_id": f"{series}/{first.isoformat()}/{last.isoformat()}",
            "brier": validation["brier"],
            "log_loss": validation["log_loss"],
            "hit_rate": validation["hit_rate"],
        }
        reference_rows = x[holdout.validate_start : holdout.validate_start + REFERENCE_ROWS]
        metadata["reference"] = {
            "inputs": {
                name: reference_rows[:, i].astype(float).tolist() for i, name in enumerate(FEATURE_NAMES)
            },
            "outputs": pipeline.predict_proba(reference_rows).astype(float).tolist(),
        }
        metadata["probability_output"] = "probabilities"
        flat = {
            f"{split}_{name}": value for split, values in metrics.items() for name, value in values.items()
        }
        return TrainedModel(
            model_name=request.model_name,
            artifact=model.SerializeToString(),
            features=tuple(FeatureSpec(name, "float32") for name in FEATURE_NAMES),
            metrics=flat,
            metadata=metadata,
        )


def _budget(given: Mapping[str, Any], max_trials: int, seconds: float) -> tuple[dict[str, Any], int, float]:
    """(fixed hyperparameters, trials, seconds) from the request: `C` fixes the model, the rest the budget."""
    for key in given:
        if key not in HYPERPARAMETERS:
            raise InvalidValueError("hyperparameters", key, f"one of {list(HYPERPARAMETERS)}")
    fixed: dict[str, Any] = {}
    if "C" in given:
        c = given["C"]
        if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c) or c <= 0:
            raise InvalidValueError("C", c, "a positive number (inverse regularisation strength)")
        fixed["C"] = float(c)
    trials = given.get("max_trials", max_trials)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InvalidValueError("max_trials", trials, "a whole number of trials, at least 1")
    budget = given.get("time_budget_seconds", seconds)
    if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget >= 0:
        raise InvalidValueError("time_budget_seconds", budget, "zero or more seconds")
    return fixed, trials, float(budget)


def _pipeline(params: Mapping[str, Any]) -> Pipeline:
    return Pipeline(
        [("scale", StandardScaler()), ("classify", LogisticRegression(C=params["C"], max_iter=1000))]
    )


def _fold_loss(x: np.ndarray, y: np.ndarray, fold: Split, params: Mapping[str, Any]) -> float:
    train_y = y[: fold.train_end]
    if len(np.unique(train_y)) < 2:
        raise ModelError(
            f"walk-forward fold {fold}: the training labels are all {train_y[0]}; widen the window"
        )
    fitted = _pipeline(params).fit(x[: fold.train_end], train_y)
    rows = slice(fold.validate_start, fold.validate_end)
    return float(log_loss(y[rows], fitted.predict_proba(x[rows]), labels=[0, 1]))


def _metrics(pipeline: Pipeline, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Brier, log loss and hit rate of P(rise) on these rows, plus how many there were."""
    p = pipeline.predict_proba(x)[:, 1]
    return {
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(log_loss(y, np.column_stack([1 - p, p]), labels=[0, 1])),
        "hit_rate": float(np.mean((p >= 0.5) == (y == 1))),
        "rows": float(len(y)),
    }


def _search_document(result: SearchResult, *, fixed: bool) -> dict[str, Any]:
    return {
        "fixed": fixed,
        "trials": [{"params": t.params, "cv_log_loss": t.score} for t in result.trials],
        "stopped_by": result.stopped_by,
        "elapsed_seconds": result.elapsed_seconds,
    }


def fingerprint(candles: Sequence[Candle]) -> str:
    """sha256 of the candles in a canonical text form: the same data gives the same fingerprint anywhere."""
    digest = hashlib.sha256()
    for c in candles:
        fields = (
            c.symbol,
            c.interval_seconds,
            c.open_time.isoformat(),
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
        )
        digest.update((",".join(str(f) for f in fields) + "\n").encode())
    return digest.hexdigest()

"""Model monitoring: is the data still like the training data, and is the model still as good as it was?

A report compares a recent window of features (computed from stored candles, the same code the trainer
used) with the training reference kept in the version's metadata (`training_reference`), feature by feature
(PSI for >= 500 rows, KS below), and runs Page-Hinkley over the version's resolved outcomes as misses, from an
`OutcomeSource`: by default the experiment outcomes' `hit`, in observation order (`ExperimentOutcomes`); for
a candle model serving outside any experiment, `CandleOutcomes` scores it on the window's own candles. See
`galfriday.domain.drift.report` for the rules.

Version metadata read here (written by the trainer, kept by the registry): `training_reference` (required),
`feature_importance` ({name: weight}, optional, weights the drift share), `symbol` and `interval_seconds`
(for the candle window), `metrics.validation.hit_rate` (optional, shown next to the recent error rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from galfriday.domain.candle_features import WARMUP, candle_features
from galfriday.domain.drift.page_hinkley import DEFAULT_THRESHOLD
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.drift.report import DATASET_DRIFT_SHARE, DriftReport, build_report
from galfriday.domain.model_stages import PRODUCTION
from galfriday.domain.models import ModelVersion
from galfriday.errors import InvalidValueError, ModelError, NotFoundError
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store

DEFAULT_WINDOW = timedelta(days=7)
HIT = "hit"


class FeatureWindowSource(Protocol):
    """Where a model's recent feature values come from: one column per feature name."""

    async def window(self, model: ModelVersion, start: datetime, end: datetime) -> dict[str, list[float]]: ...


class OutcomeSource(Protocol):
    """A version's resolved outcomes as misses (1) and hits (0), oldest first."""

    async def errors(self, model: ModelVersion, start: datetime, end: datetime) -> list[float]: ...


class ExperimentOutcomes:
    """Misses (1 - hit) of the version's outcomes across every experiment it took part in, since the first
    (the window is not applied: Page-Hinkley follows the model from when it started being judged)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def errors(self, model: ModelVersion, start: datetime, end: datetime) -> list[float]:
        async with self._store.unit_of_work() as uow:
            experiments = [
                e
                for e in await uow.experiments.list()
                if e.model_name == model.name and model.version in (e.control_version, e.candidate_version)
            ]
            outcomes = [o for e in experiments for o in await uow.experiments.outcomes(e.id)]
        resolved = sorted(
            (o for o in outcomes if o.model_version == model.version and HIT in o.values),
            key=lambda o: o.observed_at,
        )
        return [1.0 - o.values[HIT] for o in resolved]


class CandleFeatureWindow:
    """Feature columns from the store's candles for the model's `symbol` and `interval_seconds`.

    Reads `WARMUP` bars before `start` too, so the first row of the window has its full history.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    async def window(self, model: ModelVersion, start: datetime, end: datetime) -> dict[str, list[float]]:
        symbol, interval = candle_series(model)
        async with self._store.unit_of_work() as uow:
            candles = await uow.candles.range(
                symbol, interval, start - timedelta(seconds=WARMUP * interval), end
            )
        table = candle_features(candles)
        keep = [index for index, at in enumerate(table.times) if at >= start]
        return {name: [column[i] for i in keep] for name, column in table.columns.items()}


def candle_series(model: ModelVersion) -> tuple[str, int]:
    """The (symbol, interval_seconds) a model was trained on, from its metadata."""
    symbol = model.metadata.get("symbol")
    interval = model.metadata.get("interval_seconds")
    if not isinstance(symbol, str) or not isinstance(interval, int):
        raise ModelError(
            f"model {model.name} v{model.version} has no candle series in its metadata "
            f"(symbol={symbol!r}, interval_seconds={interval!r}); it was not trained on candles"
        )
    return symbol, interval


def training_reference(model: ModelVersion) -> TrainingReference:
    document = model.metadata.get("training_reference")
    if not isinstance(document, Mapping):
        raise ModelError(
            f"model {model.name} v{model.version} has no training_reference in its metadata; "
            "drift needs the training data's reference (the sklearn trainer records it)"
        )
    return TrainingReference.from_document(document)


def _importance(model: ModelVersion) -> dict[str, float] | None:
    found = model.metadata.get("feature_importance")
    if not isinstance(found, Mapping):
        return None
    return {str(k): float(v) for k, v in found.items()}


def _validation_error_rate(model: ModelVersion) -> float | None:
    metrics: Any = model.metadata.get("metrics", {})
    hit = metrics.get("validation", {}).get("hit_rate") if isinstance(metrics, Mapping) else None
    return 1.0 - float(hit) if isinstance(hit, int | float) else None


class ModelMonitoringService:
    """Builds drift reports for a model's serving (or any) version."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        windows: FeatureWindowSource | None = None,
        *,
        outcomes: OutcomeSource | None = None,
        window: timedelta = DEFAULT_WINDOW,
        threshold: float = DEFAULT_THRESHOLD,
        alert_share: float = DATASET_DRIFT_SHARE,
    ) -> None:
        if window <= timedelta(0):
            raise InvalidValueError("window", window, "a positive duration")
        self._store = store
        self._clock = clock
        self._windows = windows or CandleFeatureWindow(store)
        self._outcomes = outcomes or ExperimentOutcomes(store)
        self.window = window
        self.threshold = threshold
        self.alert_share = alert_share

    async def version(self, model_name: str, version: int | None = None) -> ModelVersion:
        """`version`, or the one the production alias points at, or else the newest."""
        async with self._store.unit_of_work() as uow:
            if version is None:
                version = await uow.models.alias(model_name, PRODUCTION)
            if version is None:
                versions = await uow.models.versions(model_name)
                if not versions:
                    raise NotFoundError("model", model_name)
                return versions[-1]
            found = await uow.models.get(model_name, version)
        if found is None:
            raise NotFoundError("model version", (model_name, version))
        return found

    async def report(
        self,
        model_name: str,
        version: int | None = None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> DriftReport:
        """Drift of the window [start, end) (default: the last `window` up to now) and degradation so far."""
        model = await self.version(model_name, version)
        reference = training_reference(model)
        end = end or self._clock.now()
        start = start or end - self.window
        columns = await self._windows.window(model, start, end)
        errors = await self._outcomes.errors(model, start, end)
        return build_report(
            model.name,
            model.version,
            end,
            reference,
            columns,
            importance=_importance(model),
            alert_share=self.alert_share,
            errors=errors or None,
            validation_error_rate=_validation_error_rate(model),
            threshold=self.threshold,
        )

    async def reports(
        self,
        model_name: str,
        version: int | None = None,
        *,
        checks: int = 3,
        every: timedelta | None = None,
        end: datetime | None = None,
    ) -> list[DriftReport]:
        """Reports of `checks` windows ending `every` apart (default: one window, so they do not overlap) up to
        `end` (default now), oldest first: the design's "sustained for 3 consecutive windows" reads them."""
        if checks < 1:
            raise InvalidValueError("checks", checks, "at least 1 window")
        every = every or self.window
        if every <= timedelta(0):
            raise InvalidValueError("every", every, "a positive duration")
        end = end or self._clock.now()
        ends = [end - k * every for k in reversed(range(checks))]
        return [await self.report(model_name, version, end=at) for at in ends]


def sustained_drift(reports: list[DriftReport]) -> bool:
    """Every report raises a dataset drift alert (and there is at least one)."""
    return bool(reports) and all(report.drift_alert for report in reports)

"""A drift report: per-feature drift against the training reference, and performance degradation.

Per feature: PSI on the reference deciles for windows of at least 500 rows (warn 0.1, alert 0.25); the KS
test below that (alpha 0.01, Bonferroni over the features: drift is an alert); fewer than 30 rows: skipped.
A feature drifts when its level is `alert`. The dataset drifts when the share of drifting features,
weighted by feature importance when the model has one, is at least 30 % (Evidently's unweighted default is
50 %). Degradation runs Page-Hinkley over the resolved outcomes' error stream (1 = miss), from its start,
and compares the error rate of the last 500 outcomes with the validation one: more than 5 points worse
(a hit rate 5 pp below validation) is an alarm too, once 500 outcomes are in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.drift.ks import KS_ALPHA, bonferroni_alpha, ks_2samp
from galfriday.domain.drift.page_hinkley import DEFAULT_THRESHOLD, PH_DELTA, PageHinkley
from galfriday.domain.drift.psi import MIN_PSI_ROWS, DriftLevel, psi, psi_level
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError

MIN_KS_ROWS = 30
DATASET_DRIFT_SHARE = 0.30
RECENT_OUTCOMES = 500
ROLLING_MARGIN = 0.05


class DriftMethod(StrEnum):
    PSI = "psi"
    KS = "ks"
    SKIPPED = "skipped"


@frozen
class FeatureDrift:
    name: str
    method: DriftMethod
    level: DriftLevel | None
    """None when skipped (too few rows to judge)."""
    statistic: float | None = None
    pvalue: float | None = None

    @property
    def drifting(self) -> bool:
        return self.level is DriftLevel.ALERT


@frozen
class Degradation:
    """Page-Hinkley over the error stream, and the recent error rate next to the model's validation one."""

    outcomes: int
    statistic: float
    threshold: float
    alarm: bool
    recent_error_rate: float | None
    validation_error_rate: float | None
    rolling_alarm: bool = False
    """The last `RECENT_OUTCOMES` misses exceed the validation error rate by more than `ROLLING_MARGIN`."""

    @property
    def alert(self) -> bool:
        return self.alarm or self.rolling_alarm


@frozen
class DriftReport:
    model_name: str
    version: int
    at: datetime = field(converter=to_utc)
    rows: int
    features: tuple[FeatureDrift, ...]
    drift_share: float
    drift_alert: bool
    degradation: Degradation | None = None

    @property
    def drifting(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.drifting)

    @property
    def degradation_alert(self) -> bool:
        return self.degradation is not None and self.degradation.alert


def feature_drift(
    reference: TrainingReference,
    window: Mapping[str, Sequence[float]],
    *,
    min_psi_rows: int = MIN_PSI_ROWS,
    ks_alpha: float = KS_ALPHA,
    min_ks_rows: int = MIN_KS_ROWS,
) -> tuple[FeatureDrift, ...]:
    """Every reference feature judged on its window column; a missing column is an error."""
    missing = [name for name in reference.names if name not in window]
    if missing:
        raise InvalidValueError(
            "window", sorted(window), f"a column for every reference feature; missing {missing}"
        )
    alpha = bonferroni_alpha(ks_alpha, len(reference.features))
    results = []
    for feature in reference.features:
        values = window[feature.name]
        if len(values) >= min_psi_rows:
            value = psi(feature.psi, values)
            results.append(FeatureDrift(feature.name, DriftMethod.PSI, psi_level(value), value))
        elif len(values) >= min_ks_rows:
            test = ks_2samp(feature.sample, values)
            level = DriftLevel.ALERT if test.pvalue < alpha else DriftLevel.STABLE
            results.append(FeatureDrift(feature.name, DriftMethod.KS, level, test.statistic, test.pvalue))
        else:
            results.append(FeatureDrift(feature.name, DriftMethod.SKIPPED, None))
    return tuple(results)


def drift_share(features: Sequence[FeatureDrift], importance: Mapping[str, float] | None = None) -> float:
    """The (importance-weighted) share of judged features that drift; 0 if none was judged."""
    judged = [f for f in features if f.level is not None]
    weights = {f.name: _weight(importance, f.name) for f in judged}
    total = math.fsum(weights.values())
    if total <= 0:
        return 0.0
    return math.fsum(weights[f.name] for f in judged if f.drifting) / total


def _weight(importance: Mapping[str, float] | None, name: str) -> float:
    if importance is None:
        return 1.0
    value = float(importance.get(name, 0.0))
    return abs(value) if math.isfinite(value) else 0.0


def degradation(
    errors: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    delta: float = PH_DELTA,
    validation_error_rate: float | None = None,
    recent: int = RECENT_OUTCOMES,
    margin: float = ROLLING_MARGIN,
) -> Degradation:
    """Page-Hinkley over `errors` in resolution order; the recent rate is the mean of the last `recent`."""
    detector = PageHinkley(threshold, delta)
    for error in errors:
        detector.update(error)
    tail = errors[-recent:]
    rate = math.fsum(tail) / len(tail) if tail else None
    rolling = (
        rate is not None
        and validation_error_rate is not None
        and len(tail) >= recent
        and rate > validation_error_rate + margin
    )
    return Degradation(
        len(errors),
        detector.statistic,
        threshold,
        detector.drift_detected,
        rate,
        validation_error_rate,
        rolling,
    )


def build_report(
    model_name: str,
    version: int,
    at: datetime,
    reference: TrainingReference,
    window: Mapping[str, Sequence[float]],
    *,
    importance: Mapping[str, float] | None = None,
    alert_share: float = DATASET_DRIFT_SHARE,
    errors: Sequence[float] | None = None,
    validation_error_rate: float | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> DriftReport:
    """The whole report: features, dataset-level alert, and degradation when outcomes are given."""
    features = feature_drift(reference, window)
    share = drift_share(features, importance)
    rows = max((len(window[name]) for name in reference.names), default=0)
    health = None
    if errors is not None:
        health = degradation(errors, threshold=threshold, validation_error_rate=validation_error_rate)
    return DriftReport(
        model_name, version, at, rows, features, share, share >= alert_share and share > 0, health
    )

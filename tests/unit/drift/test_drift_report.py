"""Drift report: PSI for big windows, KS for small, skipped below that; dataset share; degradation."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import pytest

from galfriday.domain.drift.psi import DriftLevel
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.drift.report import (
    DriftMethod,
    FeatureDrift,
    build_report,
    degradation,
    drift_share,
    feature_drift,
)
from galfriday.errors import InvalidValueError

AT = datetime(2026, 11, 24, 12, tzinfo=UTC)
NAMES = ("a", "b", "c")


def columns(seed: int, n: int, shift: dict[str, float] | None = None) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    shift = shift or {}
    return {name: (rng.normal(size=n) + shift.get(name, 0.0)).tolist() for name in NAMES}


REFERENCE = TrainingReference.from_columns(columns(0, 5_000))


def test_reference_keeps_deciles_and_an_evenly_spaced_sorted_sample() -> None:
    feature = REFERENCE.features[0]
    data = sorted(columns(0, 5_000)["a"])
    assert len(feature.psi.edges) == 9
    assert len(feature.sample) == 1_000
    assert (feature.sample[0], feature.sample[-1]) == (data[0], data[-1])
    assert list(feature.sample) == sorted(feature.sample)


def test_reference_round_trips_through_its_document() -> None:
    assert TrainingReference.from_document(REFERENCE.to_document()) == REFERENCE


def test_a_malformed_reference_document_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="training reference"):
        TrainingReference.from_document({"features": [{"name": "a"}]})


def test_windows_of_500_rows_or_more_use_psi() -> None:
    results = feature_drift(REFERENCE, columns(1, 500))
    assert {r.method for r in results} == {DriftMethod.PSI}
    assert all(r.level is DriftLevel.STABLE for r in results)


def test_smaller_windows_use_ks_and_tiny_ones_are_skipped() -> None:
    assert {r.method for r in feature_drift(REFERENCE, columns(1, 499))} == {DriftMethod.KS}
    skipped = feature_drift(REFERENCE, columns(1, 29))
    assert {(r.method, r.level) for r in skipped} == {(DriftMethod.SKIPPED, None)}


def test_a_half_sd_shift_alerts_by_psi_on_the_shifted_feature_only() -> None:
    results = feature_drift(REFERENCE, columns(2, 2_000, {"b": 0.5}))
    assert [r.name for r in results if r.drifting] == ["b"]


def test_a_half_sd_shift_alerts_by_ks_in_a_small_window() -> None:
    results = feature_drift(REFERENCE, columns(2, 300, {"c": 0.5}))
    assert [r.name for r in results if r.drifting] == ["c"]


def test_no_dataset_alert_without_drift_over_100_seeds() -> None:
    alerts = sum(build_report("m", 1, AT, REFERENCE, columns(100 + s, 800)).drift_alert for s in range(100))
    assert alerts == 0


def test_ks_false_alarms_stay_under_its_bonferroni_level_over_200_seeds() -> None:
    drifting = sum(any(r.drifting for r in feature_drift(REFERENCE, columns(s, 200))) for s in range(200))
    assert drifting / 200 <= 0.03  # family-wise alpha 0.01, with room for 200-seed noise


def test_one_shifted_feature_of_three_is_a_dataset_alert_at_30_percent() -> None:
    report = build_report("m", 1, AT, REFERENCE, columns(3, 1_000, {"a": 1.0}))
    assert report.drifting == ("a",)
    assert report.drift_share == pytest.approx(1 / 3)
    assert report.drift_alert


def test_importance_weights_the_drift_share() -> None:
    features = [
        FeatureDrift("a", DriftMethod.PSI, DriftLevel.ALERT, 0.4),
        FeatureDrift("b", DriftMethod.PSI, DriftLevel.STABLE, 0.01),
        FeatureDrift("c", DriftMethod.SKIPPED, None),
    ]
    assert drift_share(features) == pytest.approx(0.5)
    assert drift_share(features, {"a": 0.1, "b": 0.9, "c": 5.0}) == pytest.approx(0.1)


def test_a_window_missing_a_reference_feature_is_refused() -> None:
    window = columns(1, 600)
    del window["b"]
    with pytest.raises(InvalidValueError, match="missing"):
        feature_drift(REFERENCE, window)


def misses(seed: int, rates: list[tuple[float, int]]) -> list[float]:
    rng = random.Random(seed)
    return [1.0 if rng.random() < rate else 0.0 for rate, n in rates for _ in range(n)]


def test_degradation_alarms_when_the_error_rate_rises() -> None:
    health = degradation(misses(1, [(0.45, 1_500), (0.60, 1_500)]), validation_error_rate=0.45)
    assert health.alarm
    assert health.recent_error_rate == pytest.approx(0.6, abs=0.05)
    assert health.outcomes == 3_000


def test_degradation_stays_quiet_on_a_steady_error_rate() -> None:
    assert not degradation(misses(2, [(0.45, 3_000)])).alarm


def test_a_report_without_outcomes_has_no_degradation_verdict() -> None:
    report = build_report("m", 1, AT, REFERENCE, columns(1, 600))
    assert report.degradation is None
    assert not report.degradation_alert


def test_a_recent_error_rate_well_above_validation_is_a_rolling_alarm() -> None:
    health = degradation(misses(3, [(0.60, 500)]), validation_error_rate=0.45)
    assert health.rolling_alarm
    assert health.alert


def test_a_recent_error_rate_near_validation_is_no_rolling_alarm() -> None:
    health = degradation(misses(4, [(0.45, 500)]), validation_error_rate=0.45)
    assert not health.rolling_alarm


def test_the_rolling_alarm_waits_for_500_outcomes() -> None:
    assert not degradation([1.0] * 499, validation_error_rate=0.45).rolling_alarm

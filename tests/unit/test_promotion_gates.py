"""Promotion gates: each gate passes good evidence, fails bad evidence, and says why."""

from __future__ import annotations

import math

import attrs
import pytest

from galfriday.domain.models import FeatureSpec
from galfriday.domain.promotion_gates import (
    GateEvidence,
    GatePolicy,
    HoldoutMetrics,
    determinism_gate,
    evaluate_gates,
    improvement_gate,
    latency_gate,
    parity_gate,
    probability_gate,
    schema_gate,
    value_gate,
)

POLICY = GatePolicy()
FEATURES = (FeatureSpec("ret_1"), FeatureSpec("ret_5"), FeatureSpec("vol_20", "float64"))
CHAMPION = HoldoutMetrics("holdout-2024-05", brier=0.2450, log_loss=0.683, hit_rate=0.545)
ROWS = [[0.4, 0.6], [0.55, 0.45], [0.5, 0.5]]


def metrics(brier: float, hit_rate: float, holdout: str = "holdout-2024-05") -> HoldoutMetrics:
    return HoldoutMetrics(holdout, brier=brier, log_loss=0.68, hit_rate=hit_rate)


def good_evidence() -> GateEvidence:
    return GateEvidence(
        candidate_features=FEATURES,
        serving_features=FEATURES,
        candidate_metrics=metrics(0.2430, 0.55),
        champion_metrics=CHAMPION,
        artifact_problem=None,
        runtime_outputs=ROWS,
        native_outputs=[[p + 3e-6 for p in row] for row in ROWS],
        repeat_outputs=[list(row) for row in ROWS],
        p99_seconds=6e-6,
    )


def test_good_evidence_passes_every_gate() -> None:
    report = evaluate_gates(good_evidence())
    assert report.passed, report.failures
    assert [r.name for r in report.results] == [
        "schema",
        "value",
        "improvement",
        "artifact",
        "parity",
        "probabilities",
        "determinism",
        "latency",
    ]


def test_the_report_names_the_failing_gates_and_why() -> None:
    report = evaluate_gates(
        attrs.evolve(good_evidence(), artifact_problem="onnx.checker: bad opset", p99_seconds=2e-3)
    )
    assert not report.passed
    assert [r.name for r in report.failures] == ["artifact", "latency"]
    assert report.result("artifact").reason == "onnx.checker: bad opset"


def test_schema_with_a_missing_feature_fails() -> None:
    result = schema_gate(FEATURES[:2], FEATURES)
    assert not result.passed
    assert "lacks ['vol_20']" in result.reason


def test_schema_in_another_order_fails() -> None:
    result = schema_gate((FEATURES[1], FEATURES[0], FEATURES[2]), FEATURES)
    assert not result.passed
    assert "order differs at position 0" in result.reason


def test_schema_with_another_dtype_fails() -> None:
    result = schema_gate((*FEATURES[:2], FeatureSpec("vol_20", "float32")), FEATURES)
    assert not result.passed
    assert "vol_20: float32 vs serving float64" in result.reason


@pytest.mark.parametrize(
    ("brier", "log_loss", "passed"),
    [(0.2499, 0.6931, True), (0.25, 0.60, False), (0.24, math.log(2), False), (math.nan, 0.6, False)],
)
def test_value_gate_needs_better_than_a_coin_flip(brier: float, log_loss: float, passed: bool) -> None:
    assert value_gate(HoldoutMetrics("h", brier, log_loss, 0.5), POLICY).passed is passed


@pytest.mark.parametrize(
    ("brier", "hit_rate", "passed"),
    [
        (0.2440, 0.540, True),  # Brier 0.001 better: enough whatever the hit rate
        (0.2445, 0.541, True),  # Brier a little better, hit rate within 0.5 pp
        (0.2450, 0.540, True),  # Brier equal, hit rate exactly 0.5 pp lower
        (0.2445, 0.539, False),  # Brier not 0.001 better and hit rate 0.6 pp lower
        (0.2451, 0.600, False),  # Brier worse: a higher hit rate does not save it
    ],
)
def test_improvement_over_the_champion_by_the_configured_margin(
    brier: float, hit_rate: float, passed: bool
) -> None:
    assert improvement_gate(metrics(brier, hit_rate), CHAMPION, POLICY).passed is passed


def test_improvement_needs_the_same_holdout() -> None:
    result = improvement_gate(metrics(0.20, 0.60, holdout="another"), CHAMPION, POLICY)
    assert not result.passed
    assert "holdouts differ" in result.reason


def test_the_first_model_has_no_champion_to_beat() -> None:
    assert improvement_gate(metrics(0.24, 0.55), None, POLICY).passed


def test_parity_within_the_tolerance_passes_and_beyond_it_fails() -> None:
    assert parity_gate(ROWS, [[p + 1e-5 * 0.99 for p in row] for row in ROWS]).passed
    result = parity_gate(ROWS, [[0.4, 0.6], [0.55, 0.45], [0.5, 0.50002]])
    assert not result.passed
    assert "row 2 column 1" in result.reason


def test_parity_fails_on_nan_and_on_a_shape_mismatch() -> None:
    assert not parity_gate([[math.nan, 0.5]], [[0.5, 0.5]]).passed
    assert not parity_gate([[0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]]).passed


@pytest.mark.parametrize(
    "rows",
    [[[0.5, math.nan]], [[1.2, -0.2]], [[0.5, 0.4]], []],
    ids=["nan", "outside-0-1", "sum-not-1", "empty"],
)
def test_outputs_must_be_probabilities(rows: list[list[float]]) -> None:
    assert not probability_gate(rows).passed


def test_two_different_runs_fail_determinism() -> None:
    assert determinism_gate(ROWS, [list(r) for r in ROWS]).passed
    assert not determinism_gate(ROWS, [[0.4, 0.6], [0.55, 0.45], [0.5, 0.5000000001]]).passed


def test_latency_over_one_millisecond_fails() -> None:
    assert latency_gate(0.0009).passed
    assert not latency_gate(0.0011).passed

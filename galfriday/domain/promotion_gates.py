"""Promotion gates: pure checks over evidence the promotion service collects, each with a pass/fail and reason.

A candidate goes to staging only when every gate passes: its input schema is the serving schema, its holdout
metrics beat the coin-flip levels and the champion's on the same holdout, its artifact loads, its runtime
output matches the native model on a reference batch, its outputs are probabilities, two runs agree, and it is
fast enough. The thresholds are the TFX/MLflow-style defaults of the model-lifecycle design.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import frozen

from galfriday.domain.models import FeatureSpec

Rows = Sequence[Sequence[float]]
_ROUNDING = 1e-12
"""Margins are inclusive: 0.540 - 0.545 must count as exactly -0.5 pp despite binary rounding."""


@frozen
class GateResult:
    name: str
    passed: bool
    reason: str


@frozen
class GateReport:
    """Every gate's verdict; the candidate passes only if all of them do."""

    results: tuple[GateResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> tuple[GateResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    def result(self, name: str) -> GateResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)


@frozen
class HoldoutMetrics:
    """A model's scores on one named holdout set (binary outcome probabilities)."""

    holdout_id: str
    brier: float
    log_loss: float
    hit_rate: float


@frozen
class GatePolicy:
    max_brier: float = 0.25
    """Value threshold: a coin flip scores 0.25."""
    max_log_loss: float = math.log(2)
    """Value threshold: a coin flip scores ln 2."""
    min_brier_gain: float = 0.001
    """Change threshold: Brier at most champion - 0.001 ..."""
    max_hit_rate_loss: float = 0.005
    """... or hit rate at least champion - 0.5 pp with Brier no worse."""
    parity_tolerance: float = 1e-5
    sum_tolerance: float = 1e-5
    max_p99_seconds: float = 1e-3


def schema_gate(candidate: Sequence[FeatureSpec], serving: Sequence[FeatureSpec]) -> GateResult:
    """The model's inputs are the serving features: same names, same order, same dtypes."""
    name = "schema"
    want, got = [f.name for f in serving], [f.name for f in candidate]
    if set(want) != set(got):
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        return GateResult(name, False, f"features differ: model lacks {missing}, model adds {extra}")
    if want != got:
        at = next(i for i, (w, g) in enumerate(zip(want, got, strict=True)) if w != g)
        return GateResult(
            name, False, f"feature order differs at position {at}: {got[at]!r} vs serving {want[at]!r}"
        )
    dtypes = [
        (f.name, f.dtype, s.dtype) for f, s in zip(candidate, serving, strict=True) if f.dtype != s.dtype
    ]
    if dtypes:
        shown = ", ".join(f"{n}: {m} vs serving {s}" for n, m, s in dtypes)
        return GateResult(name, False, f"dtypes differ: {shown}")
    return GateResult(name, True, f"{len(want)} features match in name, order and dtype")


def value_gate(candidate: HoldoutMetrics, policy: GatePolicy) -> GateResult:
    """The candidate beats a coin flip: Brier < 0.25 and log loss < ln 2."""
    name = "value"
    problems = []
    if not candidate.brier < policy.max_brier:
        problems.append(f"Brier {candidate.brier:.5f} is not below {policy.max_brier:.5f}")
    if not candidate.log_loss < policy.max_log_loss:
        problems.append(f"log loss {candidate.log_loss:.5f} is not below {policy.max_log_loss:.5f}")
    if problems:
        return GateResult(name, False, "; ".join(problems))
    return GateResult(name, True, f"Brier {candidate.brier:.5f}, log loss {candidate.log_loss:.5f}")


def improvement_gate(
    candidate: HoldoutMetrics, champion: HoldoutMetrics | None, policy: GatePolicy
) -> GateResult:
    """Better than the champion on the same holdout: Brier lower by the margin, or hit rate held and Brier no worse."""
    name = "improvement"
    if champion is None:
        return GateResult(name, True, "no production model to compare against")
    if candidate.holdout_id != champion.holdout_id:
        return GateResult(
            name, False, f"holdouts differ: {candidate.holdout_id!r} vs champion's {champion.holdout_id!r}"
        )
    gain = champion.brier - candidate.brier
    if _finite(gain) and gain >= policy.min_brier_gain - _ROUNDING:
        return GateResult(name, True, f"Brier {gain:.5f} better than the champion's {champion.brier:.5f}")
    hit_change = candidate.hit_rate - champion.hit_rate
    if (
        _finite(gain, hit_change)
        and gain >= -_ROUNDING
        and hit_change >= -policy.max_hit_rate_loss - _ROUNDING
    ):
        return GateResult(
            name, True, f"Brier no worse and hit rate {hit_change:+.4f} within the allowed loss"
        )
    return GateResult(
        name,
        False,
        f"Brier {candidate.brier:.5f} vs champion {champion.brier:.5f} (need {policy.min_brier_gain} better), "
        f"hit rate {candidate.hit_rate:.4f} vs {champion.hit_rate:.4f}",
    )


def artifact_gate(problem: str | None) -> GateResult:
    """The artifact passed the checker, loaded in the runtime and ran a smoke inference (`problem` says why not)."""
    if problem:
        return GateResult("artifact", False, problem)
    return GateResult("artifact", True, "checked, loaded and ran a smoke inference")


def parity_gate(runtime: Rows, native: Rows, tolerance: float = 1e-5) -> GateResult:
    """The runtime's probabilities match the native model's on the reference batch: max |dp| <= tolerance."""
    name = "parity"
    if [len(row) for row in runtime] != [len(row) for row in native]:
        return GateResult(name, False, "output shapes differ from the native model's")
    worst, where = 0.0, (0, 0)
    for i, (a_row, b_row) in enumerate(zip(runtime, native, strict=True)):
        for j, (a, b) in enumerate(zip(a_row, b_row, strict=True)):
            gap = abs(a - b)
            if not gap <= worst:  # NaN gaps are the worst of all
                worst, where = (math.inf if math.isnan(gap) else gap), (i, j)
    if worst > tolerance:
        return GateResult(
            name, False, f"max |dp| {worst:.3g} at row {where[0]} column {where[1]} > {tolerance}"
        )
    return GateResult(name, True, f"max |dp| {worst:.3g} <= {tolerance} over {len(runtime)} rows")


def probability_gate(rows: Rows, sum_tolerance: float = 1e-5) -> GateResult:
    """Every output is a probability in [0, 1], nothing is NaN, and every row sums to 1."""
    name = "probabilities"
    if not rows:
        return GateResult(name, False, "no outputs to check")
    for i, row in enumerate(rows):
        bad = [p for p in row if not 0.0 <= p <= 1.0]  # NaN fails both comparisons
        if bad:
            return GateResult(name, False, f"row {i} holds {bad[0]!r}, outside [0, 1]")
        total = math.fsum(row)
        if abs(total - 1.0) > sum_tolerance:
            return GateResult(name, False, f"row {i} sums to {total!r}, not 1")
    return GateResult(name, True, f"{len(rows)} rows of probabilities summing to 1")


def determinism_gate(first: Rows, second: Rows) -> GateResult:
    """Two runs on the same batch give exactly the same outputs."""
    same = [list(row) for row in first] == [list(row) for row in second]
    if not same:
        return GateResult("determinism", False, "two runs on the same batch gave different outputs")
    return GateResult("determinism", True, "two runs on the same batch agree exactly")


def latency_gate(p99_seconds: float, limit: float = 1e-3) -> GateResult:
    """Single-row p99 latency within the limit."""
    if not p99_seconds <= limit:
        return GateResult(
            "latency", False, f"single-row p99 {p99_seconds * 1e3:.3f} ms > {limit * 1e3:.3f} ms"
        )
    return GateResult("latency", True, f"single-row p99 {p99_seconds * 1e3:.3f} ms <= {limit * 1e3:.3f} ms")


@frozen
class GateEvidence:
    """What the service measured for a candidate (runtime/native outputs on the same reference batch)."""

    candidate_features: tuple[FeatureSpec, ...]
    serving_features: tuple[FeatureSpec, ...]
    candidate_metrics: HoldoutMetrics
    champion_metrics: HoldoutMetrics | None
    artifact_problem: str | None
    runtime_outputs: Rows
    native_outputs: Rows
    repeat_outputs: Rows
    p99_seconds: float


def evaluate_gates(evidence: GateEvidence, policy: GatePolicy | None = None) -> GateReport:
    """Run every gate over the evidence; the report keeps each verdict and its reason."""
    policy = policy or GatePolicy()
    return GateReport(
        (
            schema_gate(evidence.candidate_features, evidence.serving_features),
            value_gate(evidence.candidate_metrics, policy),
            improvement_gate(evidence.candidate_metrics, evidence.champion_metrics, policy),
            artifact_gate(evidence.artifact_problem),
            parity_gate(evidence.runtime_outputs, evidence.native_outputs, policy.parity_tolerance),
            probability_gate(evidence.runtime_outputs, policy.sum_tolerance),
            determinism_gate(evidence.runtime_outputs, evidence.repeat_outputs),
            latency_gate(evidence.p99_seconds, policy.max_p99_seconds),
        )
    )


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)

"""From an experiment's outcomes to its statistics and its conclusion.

Shadow mode: every request is scored by both arms; the candidate's prediction id is the acted one's with
`SHADOW_SUFFIX`, so outcomes pair by request. The paired tests are McNemar on hits and Diebold-Mariano on the
loss (Brier, or log loss when that is the metric). Split mode: the arms saw different requests; Welch on the
winsorised metric (net P&L), a moving-block bootstrap interval, Mann-Whitney as a sanity check, and the
sample-ratio check of the acted predictions per arm against the configured shares. In both modes the decision
is `statistics.decision.conclude` under the experiment's policy: always-valid confidence sequences, so the
status may be looked at as often as anyone likes. Benjamini-Hochberg (q = 0.1) is applied across the p-values
reported, which are for reading; only the confidence sequence decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from galfriday.domain.experiment_settings import ExperimentSettings, Metric
from galfriday.domain.experiments import Arm, Experiment, ExperimentMode, ExperimentOutcome
from galfriday.domain.statistics.bootstrap import BootstrapInterval, bootstrap_mean_difference
from galfriday.domain.statistics.decision import (
    ComparisonEvidence,
    Conclusion,
    Invalid,
    KeepCollecting,
    conclude,
)
from galfriday.domain.statistics.diebold_mariano import DieboldMarianoResult, diebold_mariano
from galfriday.domain.statistics.mann_whitney import MannWhitneyResult, mann_whitney_u
from galfriday.domain.statistics.mcnemar import McNemarResult, mcnemar
from galfriday.domain.statistics.multiple_testing import BenjaminiHochbergResult, benjamini_hochberg
from galfriday.domain.statistics.sample_ratio import SampleRatioResult, sample_ratio_mismatch
from galfriday.domain.statistics.samples import ceil_cube_root, mean
from galfriday.domain.statistics.welch import WelchResult, welch_t_test
from galfriday.errors import InvalidValueError

SHADOW_SUFFIX = "/shadow"
"""Appended to the acted prediction's id to name the candidate's shadow prediction of the same request."""

FDR_Q = 0.1


def shadow_prediction_id(acted_id: str) -> str:
    """The id of the candidate's shadow prediction for the request whose acted prediction is `acted_id`."""
    return acted_id + SHADOW_SUFFIX


def request_id(prediction_id: str) -> str:
    """The request a prediction id belongs to (the acted prediction's id)."""
    return prediction_id.removesuffix(SHADOW_SUFFIX)


def forecast_probability(outputs: Mapping[str, Sequence[float]], settings: ExperimentSettings) -> float:
    """The probability the prediction gave the event, read from the output and index the settings name."""
    values = outputs.get(settings.probability_output)
    if values is None:
        raise InvalidValueError(
            "probability_output", settings.probability_output, f"one of the outputs {sorted(outputs)}"
        )
    try:
        value = float(values[settings.probability_index])
    except IndexError:
        raise InvalidValueError(
            "probability_index", settings.probability_index, f"an index into {len(values)} values"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise InvalidValueError(settings.probability_output, value, "a probability in [0, 1]")
    return value


def forecast_values(probability: float, happened: bool) -> dict[str, float]:
    """Hit (p >= 0.5 called it), Brier and log loss (p clipped to [1e-15, 1 - 1e-15]) of one forecast."""
    y = 1.0 if happened else 0.0
    clipped = min(max(probability, 1e-15), 1.0 - 1e-15)
    return {
        Metric.HIT.value: 1.0 if (probability >= 0.5) == happened else 0.0,
        Metric.BRIER.value: (probability - y) ** 2,
        Metric.LOG_LOSS.value: -math.log(clipped) if happened else -math.log1p(-clipped),
    }


@frozen
class ArmTally:
    """One arm's counts and its mean of every outcome value."""

    arm: Arm
    version: int
    predictions: int
    outcomes: int
    means: dict[str, float]


@frozen
class ExperimentAssessment:
    """Everything `experiments status` shows: per-arm tallies, the statistics that apply, and the verdict."""

    experiment_id: str
    mode: ExperimentMode
    metric: Metric
    control: ArmTally
    candidate: ArmTally
    pairs: int | None
    mcnemar: McNemarResult | None
    diebold_mariano: DieboldMarianoResult | None
    welch: WelchResult | None
    bootstrap: BootstrapInterval | None
    mann_whitney: MannWhitneyResult | None
    sample_ratio: SampleRatioResult | None
    multiple_testing: BenjaminiHochbergResult | None
    conclusion: Conclusion

    def document(self) -> dict[str, Any]:
        """A JSON object (non-finite numbers become None) for storage and `--json`."""
        document: dict[str, Any] = _finite(
            {
                "experiment_id": self.experiment_id,
                "mode": self.mode.value,
                "metric": self.metric.value,
                "action": self.conclusion.action,
                "reasons": list(self.conclusion.reasons),
                "arms": {tally.arm.value: _tally(tally) for tally in (self.control, self.candidate)},
                "pairs": self.pairs,
                "confidence_sequence": _result(getattr(self.conclusion, "sequence", None)),
                "mcnemar": _result(self.mcnemar),
                "diebold_mariano": _result(self.diebold_mariano),
                "welch": _result(self.welch),
                "bootstrap": _result(self.bootstrap),
                "mann_whitney": _result(self.mann_whitney),
                "sample_ratio": _result(self.sample_ratio),
                "benjamini_hochberg": _result(self.multiple_testing),
            }
        )
        return document


def _tally(tally: ArmTally) -> dict[str, Any]:
    return {
        "version": tally.version,
        "predictions": tally.predictions,
        "outcomes": tally.outcomes,
        "means": dict(tally.means),
    }


def _result(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    document: dict[str, Any] = {"summary": result.summary} if hasattr(result, "summary") else {}
    for name in type(result).__attrs_attrs__:
        value = getattr(result, name.name)
        document[name.name] = list(value) if isinstance(value, tuple) else value
    return document


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, str):
        return str(value)  # StrEnum members become plain strings
    return value


def shadow_pairs(
    outcomes: Iterable[ExperimentOutcome], key: str
) -> list[tuple[ExperimentOutcome, ExperimentOutcome]]:
    """(control, candidate) outcomes of the same request that both carry `key`, in the control's order."""
    control: dict[str, ExperimentOutcome] = {}
    candidate: dict[str, ExperimentOutcome] = {}
    for outcome in outcomes:
        if key in outcome.values:
            side = control if outcome.arm is Arm.CONTROL else candidate
            side.setdefault(request_id(outcome.prediction_id), outcome)
    return [(first, candidate[request]) for request, first in control.items() if request in candidate]


def _arm_values(outcomes: Sequence[ExperimentOutcome], arm: Arm, key: str) -> list[float]:
    return [o.values[key] for o in outcomes if o.arm is arm and key in o.values]


def _tally_of(
    experiment: Experiment, arm: Arm, outcomes: Sequence[ExperimentOutcome], predictions: int
) -> ArmTally:
    mine = [o for o in outcomes if o.arm is arm]
    keys = sorted({key for o in mine for key in o.values})
    means = {key: mean([o.values[key] for o in mine if key in o.values]) for key in keys}
    return ArmTally(arm, experiment.version(arm), predictions, len(mine), means)


def assess(
    experiment: Experiment,
    settings: ExperimentSettings,
    outcomes: Sequence[ExperimentOutcome],
    predictions: tuple[int, int],
    now: datetime,
    *,
    resamples: int = 10_000,
    seed: int = 0,
) -> ExperimentAssessment:
    """The statistics and the conclusion of `experiment` at `now`.

    `predictions` counts (control, candidate) predictions: in split mode the acted ones per arm, which the
    sample-ratio check compares with the configured shares. `resamples` and `seed` drive the bootstrap.
    """
    key = settings.metric.value
    control = _tally_of(experiment, Arm.CONTROL, outcomes, predictions[0])
    candidate = _tally_of(experiment, Arm.CANDIDATE, outcomes, predictions[1])
    elapsed = now - experiment.created_at
    policy = settings.policy()
    shadow = experiment.mode is ExperimentMode.SHADOW
    mc = dm = None
    welch = boot = mw = srm = None
    pairs: int | None = None
    if shadow:
        paired = shadow_pairs(outcomes, key)
        pairs = len(paired)
        champion = [c.values[key] for c, _ in paired]
        challenger = [k.values[key] for _, k in paired]
        mc = _mcnemar(outcomes)
        dm = _diebold_mariano(outcomes, settings.metric)
    else:
        champion = _arm_values(outcomes, Arm.CONTROL, key)
        challenger = _arm_values(outcomes, Arm.CANDIDATE, key)
        share = settings.traffic_share
        if sum(predictions) > 0:
            srm = sample_ratio_mismatch(predictions, (1.0 - share, share), threshold=policy.srm_threshold)
        if len(champion) >= 2 and len(challenger) >= 2:
            welch = welch_t_test(challenger, champion)
            mw = mann_whitney_u(challenger, champion)
            block = min(ceil_cube_root(min(len(champion), len(challenger))), len(champion), len(challenger))
            boot = bootstrap_mean_difference(
                challenger, champion, resamples=resamples, seed=seed, block_length=block
            )
    p_values = [r.p_value for r in (mc, dm, welch, mw) if r is not None]
    bh = benjamini_hochberg(p_values, q=FDR_Q) if p_values else None
    conclusion = _conclusion(experiment, settings, champion, challenger, elapsed, predictions, srm)
    return ExperimentAssessment(
        experiment.id,
        experiment.mode,
        settings.metric,
        control,
        candidate,
        pairs,
        mc,
        dm,
        welch,
        boot,
        mw,
        srm,
        bh,
        conclusion,
    )


def _conclusion(
    experiment: Experiment,
    settings: ExperimentSettings,
    champion: list[float],
    challenger: list[float],
    elapsed: Any,
    predictions: tuple[int, int],
    srm: SampleRatioResult | None,
) -> Conclusion:
    who = f"v{experiment.candidate_version}"
    if srm is not None and srm.mismatch:
        return Invalid(who, (srm.summary,), srm)
    if not champion or not challenger:
        return KeepCollecting(
            who, (f"{settings.metric.value} outcomes: {len(champion)} control, {len(challenger)} candidate",)
        )
    shadow = experiment.mode is ExperimentMode.SHADOW
    evidence = ComparisonEvidence(
        champion=f"v{experiment.control_version}",
        challenger=who,
        champion_values=champion,
        challenger_values=challenger,
        paired=shadow,
        elapsed=elapsed,
        assignments=None if shadow else predictions,
        expected_shares=None if shadow else (1.0 - settings.traffic_share, settings.traffic_share),
    )
    return conclude(evidence, settings.policy())


def _mcnemar(outcomes: Sequence[ExperimentOutcome]) -> McNemarResult | None:
    paired = shadow_pairs(outcomes, Metric.HIT.value)
    if not paired:
        return None
    key = Metric.HIT.value
    return mcnemar([c.values[key] >= 0.5 for c, _ in paired], [k.values[key] >= 0.5 for _, k in paired])


def _diebold_mariano(outcomes: Sequence[ExperimentOutcome], metric: Metric) -> DieboldMarianoResult | None:
    loss = Metric.LOG_LOSS if metric is Metric.LOG_LOSS else Metric.BRIER
    paired = shadow_pairs(outcomes, loss.value)
    if len(paired) < 3:
        return None
    return diebold_mariano([c.values[loss] for c, _ in paired], [k.values[loss] for _, k in paired])

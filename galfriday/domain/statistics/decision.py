"""The automatic conclusion of a model comparison: promote the challenger, stop it, or keep collecting.

The design's rule (model-lifecycle.md, "Statistics"): a sample-ratio mismatch (p < 0.001) invalidates a
split experiment; nothing is concluded before `min_outcomes_per_arm` (500) resolved outcomes per arm and
`min_duration` (7 days, to span market regimes); then the always-valid confidence sequence of the
improvement (challenger over champion, in the metric's better direction) decides:
- Promote when the sequence excludes 0 on the good side and the estimated improvement reaches the
  practical margin (e.g. Brier -0.002, hit rate +1 pp);
- Stop when the whole sequence lies below the margin: the challenger is worse, or cannot be better by
  enough to matter (futility; the sequence is valid at every look, so this is a legitimate stop);
- otherwise keep collecting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import ClassVar

from attrs import field, frozen

from galfriday.domain.statistics.confidence_sequence import (
    ConfidenceSequence,
    confidence_sequence_difference,
    confidence_sequence_paired,
)
from galfriday.domain.statistics.sample_ratio import SampleRatioResult, sample_ratio_mismatch
from galfriday.domain.statistics.samples import Sample, count, probability, sample
from galfriday.errors import InvalidValueError


def _margin(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (0.0 <= value < math.inf):
        raise InvalidValueError("margin", value, "a practical improvement >= 0, in the metric's units")
    return float(value)


@frozen
class DecisionPolicy:
    """When a comparison may conclude, and by how much the challenger must win."""

    metric: str
    higher_is_better: bool
    margin: float = field(converter=_margin)
    min_outcomes_per_arm: int = 500
    min_duration: timedelta = timedelta(days=7)
    alpha: float = 0.05
    n_star: float = 5_000
    srm_threshold: float = 0.001

    def __attrs_post_init__(self) -> None:
        count("min_outcomes_per_arm", self.min_outcomes_per_arm, minimum=2)
        probability("alpha", self.alpha)
        probability("srm_threshold", self.srm_threshold)
        if not isinstance(self.min_duration, timedelta) or self.min_duration < timedelta(0):
            raise InvalidValueError("min_duration", self.min_duration, "a timedelta >= 0")

    @classmethod
    def brier(cls, margin: float = 0.002) -> DecisionPolicy:
        """Per-prediction Brier score, lower is better; the challenger must lower it by `margin`."""
        return cls("brier", higher_is_better=False, margin=margin)

    @classmethod
    def log_loss(cls, margin: float = 0.005) -> DecisionPolicy:
        """Per-prediction log loss, lower is better."""
        return cls("log loss", higher_is_better=False, margin=margin)

    @classmethod
    def hit_rate(cls, margin: float = 0.01) -> DecisionPolicy:
        """Hit (1) or miss (0) per prediction, higher is better; the challenger must gain `margin` (1 pp)."""
        return cls("hit rate", higher_is_better=True, margin=margin)

    def signed_margin(self) -> float:
        """The margin as a change of the metric: -0.002 for Brier, +0.01 for hit rate."""
        return self.margin if self.higher_is_better else -self.margin


def _champion_values(values: Iterable[float]) -> Sample:
    return sample("champion_values", values)


def _challenger_values(values: Iterable[float]) -> Sample:
    return sample("challenger_values", values)


@frozen
class ComparisonEvidence:
    """Per-outcome metric values of each arm and how the experiment ran.

    `paired` (shadow mode): both arms scored the same predictions, value i of each arm belongs to the same
    prediction, and there is no assignment to check. Otherwise (split mode) the arms are independent and
    `expected_shares` (champion, challenger) is required for the sample-ratio check, on `assignments`
    (requests routed to each arm) or, if absent, on the outcome counts.
    """

    champion: str
    challenger: str
    champion_values: Sample = field(converter=_champion_values)
    challenger_values: Sample = field(converter=_challenger_values)
    paired: bool
    elapsed: timedelta
    assignments: tuple[int, int] | None = None
    expected_shares: tuple[float, float] | None = None

    def __attrs_post_init__(self) -> None:
        if self.paired and len(self.champion_values) != len(self.challenger_values):
            raise InvalidValueError(
                "paired values lengths",
                (len(self.champion_values), len(self.challenger_values)),
                "one value per prediction in each arm",
            )
        if not self.paired and self.expected_shares is None:
            raise InvalidValueError(
                "expected_shares", None, "the configured (champion, challenger) shares of a split experiment"
            )


@frozen
class Promote:
    """Promote the challenger: it wins by at least the practical margin."""

    action: ClassVar[str] = "promote"
    challenger: str
    reasons: tuple[str, ...]
    sequence: ConfidenceSequence


@frozen
class Stop:
    """Stop the challenger: it is worse, or cannot win by the practical margin."""

    action: ClassVar[str] = "stop"
    challenger: str
    reasons: tuple[str, ...]
    sequence: ConfidenceSequence


@frozen
class KeepCollecting:
    """Not enough evidence yet."""

    action: ClassVar[str] = "keep collecting"
    challenger: str
    reasons: tuple[str, ...]
    sequence: ConfidenceSequence | None = None


@frozen
class Invalid:
    """The experiment cannot be trusted (sample-ratio mismatch): fix the routing and start again."""

    action: ClassVar[str] = "invalid"
    challenger: str
    reasons: tuple[str, ...]
    sample_ratio: SampleRatioResult


Conclusion = Promote | Stop | KeepCollecting | Invalid


def conclude(evidence: ComparisonEvidence, policy: DecisionPolicy) -> Conclusion:
    """Apply the policy to the evidence; every conclusion says why."""
    who = evidence.challenger
    if not evidence.paired:
        srm = _sample_ratio(evidence, policy)
        if srm.mismatch:
            return Invalid(who, (srm.summary,), srm)
    waiting = _preconditions(evidence, policy)
    if waiting:
        return KeepCollecting(who, waiting)
    sequence = _improvement_sequence(evidence, policy)
    margin = policy.margin
    interval = (
        f"{policy.metric} improvement {sequence.estimate:+.4g}, always-valid {1 - policy.alpha:.0%} "
        f"interval [{sequence.lower:+.4g}, {sequence.upper:+.4g}] (n = {sequence.n})"
    )
    if sequence.lower > 0.0 and sequence.estimate >= margin:
        return Promote(who, (interval, f"the interval excludes 0 and {_reached(policy)}"), sequence)
    if sequence.upper < 0.0:
        return Stop(
            who, (interval, f"{who} is worse than {evidence.champion}: the interval excludes 0"), sequence
        )
    if sequence.upper < margin:
        why = f"{who} cannot beat {evidence.champion} by the practical margin {policy.signed_margin():+g}"
        return Stop(who, (interval, why), sequence)
    if sequence.lower <= 0.0:
        return KeepCollecting(who, (interval, "the interval still includes 0"), sequence)
    return KeepCollecting(
        who, (interval, f"better, but not yet by the margin {policy.signed_margin():+g}"), sequence
    )


def _reached(policy: DecisionPolicy) -> str:
    return f"the improvement reaches the practical margin {policy.signed_margin():+g}"


def _sample_ratio(evidence: ComparisonEvidence, policy: DecisionPolicy) -> SampleRatioResult:
    observed: Sequence[int] = evidence.assignments or (
        len(evidence.champion_values),
        len(evidence.challenger_values),
    )
    shares = evidence.expected_shares or (0.5, 0.5)
    return sample_ratio_mismatch(observed, shares, threshold=policy.srm_threshold)


def _preconditions(evidence: ComparisonEvidence, policy: DecisionPolicy) -> tuple[str, ...]:
    reasons = []
    for name, values in (
        (evidence.champion, evidence.champion_values),
        (evidence.challenger, evidence.challenger_values),
    ):
        if len(values) < policy.min_outcomes_per_arm:
            reasons.append(f"{name} has {len(values)} of the {policy.min_outcomes_per_arm} outcomes required")
    if evidence.elapsed < policy.min_duration:
        reasons.append(f"running for {evidence.elapsed} of the {policy.min_duration} required")
    return tuple(reasons)


def _improvement_sequence(evidence: ComparisonEvidence, policy: DecisionPolicy) -> ConfidenceSequence:
    """The confidence sequence of the improvement, oriented so that positive means the challenger is better."""
    build = confidence_sequence_paired if evidence.paired else confidence_sequence_difference
    raw = build(
        evidence.challenger_values, evidence.champion_values, alpha=policy.alpha, n_star=policy.n_star
    )
    if policy.higher_is_better:
        return raw
    return ConfidenceSequence(-raw.estimate, -raw.upper, -raw.lower, raw.n, raw.alpha, raw.n_star)

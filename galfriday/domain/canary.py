"""A staged canary rollout as a state machine: advance, hold, roll back or complete, always with reasons.

The candidate's share of split traffic grows 5 % -> 25 % -> 50 % -> 100 %. Each stage bakes for a period
(1 hour) and a minimum number of candidate decisions (100) before it may advance. Guardrails are judged on the
evidence of the current stage only, and any one that trips rolls the canary back at once (SageMaker/Argo):

- errors: Wald SPRT on the candidate's error/NaN outcomes (p0 0.1 % vs p1 1 %, alpha 0.05, beta 0.2); a
  rejection trips it, and by default a stage advances only once the SPRT has accepted the error rate;
- latency: candidate p99 above 2x the control's p99, sustained for 5 minutes;
- outcome: the candidate's mean outcome (higher is better, e.g. hit rate) below the control's by more than a
  margin, once both arms have enough outcomes;
- drawdown: the candidate's realised drawdown above a configured limit.

Guardrails that compare with the control cannot be judged at 100 % (the control gets no traffic); they say so
and do not trip. Time is passed in; the rollout service reads the clock and gathers the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from attrs import evolve, field, frozen

from galfriday.domain.statistics.sprt import SprtDecision, SprtDesign
from galfriday.domain.timestamps import optional_utc, to_utc
from galfriday.errors import DomainError, InvalidValueError

DEFAULT_SHARES = (0.05, 0.25, 0.50, 1.00)
DEFAULT_BAKE = timedelta(hours=1)
DEFAULT_MIN_DECISIONS = 100
LATENCY_RATIO = 2.0
LATENCY_SUSTAIN = timedelta(minutes=5)
LATENCY_MIN_SAMPLES = 50
OUTCOME_MIN_SAMPLES = 100
OUTCOME_MARGIN = 0.05


@frozen
class CanaryStage:
    """One step of the plan: the candidate's share and how long and how much it must bake there."""

    share: float
    bake: timedelta = DEFAULT_BAKE
    min_decisions: int = DEFAULT_MIN_DECISIONS

    def __attrs_post_init__(self) -> None:
        if isinstance(self.share, bool) or not 0.0 < self.share <= 1.0:
            raise InvalidValueError("share", self.share, "a share of traffic in (0, 1]")
        if self.bake < timedelta(0):
            raise InvalidValueError("bake", self.bake, "zero or a positive duration")
        if self.min_decisions < 0:
            raise InvalidValueError("min_decisions", self.min_decisions, "zero or more decisions")


def _stages(value: Sequence[CanaryStage]) -> tuple[CanaryStage, ...]:
    return tuple(value)


@frozen
class Guardrails:
    """Limits that roll a canary back. `max_drawdown=None` turns the drawdown guardrail off."""

    sprt: SprtDesign = field(factory=SprtDesign)
    require_sprt_accept: bool = True
    latency_ratio: float = LATENCY_RATIO
    latency_sustain: timedelta = LATENCY_SUSTAIN
    latency_min_samples: int = LATENCY_MIN_SAMPLES
    outcome_margin: float = OUTCOME_MARGIN
    outcome_min_samples: int = OUTCOME_MIN_SAMPLES
    max_drawdown: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if not self.latency_ratio > 1.0:
            raise InvalidValueError("latency_ratio", self.latency_ratio, "a ratio above 1 (e.g. 2.0)")
        if self.outcome_margin < 0:
            raise InvalidValueError("outcome_margin", self.outcome_margin, "zero or more")
        if self.max_drawdown is not None and (
            not isinstance(self.max_drawdown, Decimal) or self.max_drawdown <= 0
        ):
            raise InvalidValueError("max_drawdown", self.max_drawdown, "a positive Decimal amount, or None")


@frozen
class CanaryPlan:
    """Stages with strictly growing shares, the last at 100 %, and the guardrails that watch every stage."""

    stages: tuple[CanaryStage, ...] = field(converter=_stages)
    guardrails: Guardrails = field(factory=Guardrails)

    def __attrs_post_init__(self) -> None:
        shares = [stage.share for stage in self.stages]
        if not shares or shares[-1] != 1.0 or any(b <= a for a, b in pairwise(shares)):
            raise InvalidValueError("stages", shares, "strictly growing shares ending at 1.0 (100 %)")

    @classmethod
    def default(
        cls,
        bake: timedelta = DEFAULT_BAKE,
        min_decisions: int = DEFAULT_MIN_DECISIONS,
        guardrails: Guardrails | None = None,
    ) -> CanaryPlan:
        """5 % -> 25 % -> 50 % -> 100 %, every stage baking `bake` and `min_decisions`."""
        return cls(
            [CanaryStage(share, bake, min_decisions) for share in DEFAULT_SHARES], guardrails or Guardrails()
        )


class CanaryStatus(StrEnum):
    RUNNING = "running"
    ROLLED_BACK = "rolled_back"
    COMPLETED = "completed"


class CanaryAction(StrEnum):
    ADVANCE = "advance"
    HOLD = "hold"
    ROLLBACK = "rollback"
    COMPLETE = "complete"


class CanaryFinished(DomainError):  # noqa: N818 - reads as the situation
    """A finished canary was asked to evaluate more evidence."""

    def __init__(self, status: CanaryStatus) -> None:
        self.status = status
        super().__init__(f"the canary is {status.value}; start a new one to evaluate more evidence")


@frozen
class CanaryState:
    """Where a canary stands: its stage, since when, and since when the latency has been over its limit."""

    plan: CanaryPlan
    stage_index: int
    stage_started_at: datetime = field(converter=to_utc)
    status: CanaryStatus = CanaryStatus.RUNNING
    latency_breach_since: datetime | None = field(default=None, converter=optional_utc)

    @property
    def stage(self) -> CanaryStage:
        return self.plan.stages[self.stage_index]

    @property
    def share(self) -> float:
        """The candidate's traffic share now: 0 once rolled back."""
        return 0.0 if self.status is CanaryStatus.ROLLED_BACK else self.stage.share


def start(plan: CanaryPlan, at: datetime) -> CanaryState:
    """A canary at its first stage from `at`."""
    return CanaryState(plan, 0, at)


@frozen
class ArmStats:
    """One arm's evidence in the current stage: latencies' p99 and its outcome metric's mean."""

    latency_samples: int = 0
    latency_p99: float | None = None
    outcomes: int = 0
    outcome_mean: float | None = None


def _flags(value: Iterable[bool]) -> tuple[bool, ...]:
    return tuple(bool(flag) for flag in value)


@frozen
class StageEvidence:
    """What the current stage has seen. `errors` lists the candidate's decisions in order (True = error/NaN)."""

    errors: tuple[bool, ...] = field(converter=_flags)
    candidate: ArmStats = field(factory=ArmStats)
    control: ArmStats = field(factory=ArmStats)
    candidate_drawdown: Decimal = Decimal(0)

    @property
    def decisions(self) -> int:
        return len(self.errors)


@frozen
class GuardrailResult:
    name: str
    tripped: bool
    reason: str


@frozen
class CanaryStep:
    """The action taken, the state after it, the guardrails' verdicts and why."""

    action: CanaryAction
    state: CanaryState
    guardrails: tuple[GuardrailResult, ...]
    reasons: tuple[str, ...]

    @property
    def summary(self) -> str:
        return f"{self.action.value} at {self.state.share:.0%}: {'; '.join(self.reasons)}"


def evaluate(state: CanaryState, evidence: StageEvidence, now: datetime) -> CanaryStep:
    """Judge the current stage at `now`: roll back on any tripped guardrail, else advance once baked."""
    if state.status is not CanaryStatus.RUNNING:
        raise CanaryFinished(state.status)
    now = to_utc(now)
    rails = state.plan.guardrails
    sprt = rails.sprt.start().observe_all(evidence.errors)
    latency, breach_since = _latency(rails, evidence, state.latency_breach_since, now)
    results = (
        _errors(sprt.decision, sprt.summary),
        latency,
        _outcome(rails, evidence),
        _drawdown(rails, evidence),
    )
    tripped = [r for r in results if r.tripped]
    if tripped:
        after = evolve(state, status=CanaryStatus.ROLLED_BACK, latency_breach_since=breach_since)
        return CanaryStep(CanaryAction.ROLLBACK, after, results, tuple(r.reason for r in tripped))
    held = evolve(state, latency_breach_since=breach_since)
    waiting = _baking(state, evidence, now)
    if rails.require_sprt_accept and sprt.decision is not SprtDecision.ACCEPT:
        waiting.append(f"error-rate SPRT has not yet accepted ({sprt.errors} errors in {sprt.n})")
    if waiting:
        return CanaryStep(CanaryAction.HOLD, held, results, tuple(waiting))
    baked = f"stage {state.stage_index + 1} at {state.stage.share:.0%} baked with every guardrail clear"
    if state.stage_index == len(state.plan.stages) - 1:
        done = evolve(held, status=CanaryStatus.COMPLETED)
        return CanaryStep(CanaryAction.COMPLETE, done, results, (baked,))
    advanced = CanaryState(state.plan, state.stage_index + 1, now)
    reason = f"{baked}; advancing to {advanced.stage.share:.0%}"
    return CanaryStep(CanaryAction.ADVANCE, advanced, results, (reason,))


def _baking(state: CanaryState, evidence: StageEvidence, now: datetime) -> list[str]:
    stage = state.stage
    waiting = []
    elapsed = now - state.stage_started_at
    if elapsed < stage.bake:
        waiting.append(f"baking: {elapsed} of {stage.bake} elapsed")
    if evidence.decisions < stage.min_decisions:
        waiting.append(f"baking: {evidence.decisions} of {stage.min_decisions} candidate decisions")
    return waiting


def _errors(decision: SprtDecision, summary: str) -> GuardrailResult:
    return GuardrailResult("errors", decision is SprtDecision.REJECT, summary)


def _latency(
    rails: Guardrails, evidence: StageEvidence, since: datetime | None, now: datetime
) -> tuple[GuardrailResult, datetime | None]:
    candidate, control = evidence.candidate, evidence.control
    enough = min(candidate.latency_samples, control.latency_samples) >= rails.latency_min_samples
    if not enough or candidate.latency_p99 is None or control.latency_p99 is None:
        reason = f"latency not judged: fewer than {rails.latency_min_samples} samples on an arm"
        return GuardrailResult("latency", False, reason), None
    limit = rails.latency_ratio * control.latency_p99
    if candidate.latency_p99 <= limit:
        reason = (
            f"latency p99 {candidate.latency_p99:.6f}s within {rails.latency_ratio}x control ({limit:.6f}s)"
        )
        return GuardrailResult("latency", False, reason), None
    since = since or now
    sustained = now - since >= rails.latency_sustain
    reason = (
        f"latency p99 {candidate.latency_p99:.6f}s above {rails.latency_ratio}x control ({limit:.6f}s) "
        f"since {since.isoformat()}" + ("" if sustained else f", not yet for {rails.latency_sustain}")
    )
    return GuardrailResult("latency", sustained, reason), since


def _outcome(rails: Guardrails, evidence: StageEvidence) -> GuardrailResult:
    candidate, control = evidence.candidate, evidence.control
    enough = min(candidate.outcomes, control.outcomes) >= rails.outcome_min_samples
    if not enough or candidate.outcome_mean is None or control.outcome_mean is None:
        return GuardrailResult(
            "outcome", False, f"outcome not judged: fewer than {rails.outcome_min_samples} outcomes on an arm"
        )
    gap = candidate.outcome_mean - control.outcome_mean
    tripped = gap < -rails.outcome_margin
    relation = "below" if tripped else "within"
    reason = (
        f"outcome mean {candidate.outcome_mean:.4f} vs control {control.outcome_mean:.4f}: "
        f"{relation} the margin {rails.outcome_margin}"
    )
    return GuardrailResult("outcome", tripped, reason)


def _drawdown(rails: Guardrails, evidence: StageEvidence) -> GuardrailResult:
    if rails.max_drawdown is None:
        return GuardrailResult("drawdown", False, "drawdown not watched (no limit configured)")
    tripped = evidence.candidate_drawdown > rails.max_drawdown
    relation = "above" if tripped else "within"
    return GuardrailResult(
        "drawdown",
        tripped,
        f"drawdown {evidence.candidate_drawdown} {relation} the limit {rails.max_drawdown}",
    )


def drawdown(pnl: Sequence[Decimal]) -> Decimal:
    """The largest fall of cumulative P&L from its running peak (the peak starts at 0): 0 or more."""
    peak = cumulative = worst = Decimal(0)
    for amount in pnl:
        cumulative += amount
        peak = max(peak, cumulative)
        worst = max(worst, peak - cumulative)
    return worst

"""Staged canary rollout: route a growing share to a staging candidate, judge each stage, promote or roll back.

`start` opens a split experiment between production (control) and the candidate at the first stage's share,
points the `challenger` alias at the candidate and routes that share to it. Each later stage below 100 % gets
an experiment of its own with its share (so its sample-ratio check is right) and the same routing seed (so
growing the share only moves keys from control to the canary); the stage it replaces ends as concluded.
Every canary experiment asks for 2**31 outcomes per arm, so the experiments service's periodic conclusion
never promotes or stops it on its own (a sample-ratio mismatch still invalidates it: a routing fault).

`step` gathers the current stage's evidence (from the prediction log and the experiment's outcomes), lets
`domain.canary.evaluate` decide, and applies the decision at once:

- advance: route the next share (at 100 % the candidate is served alone, outside any experiment; the 50 %
  stage's experiment stays open until the end, for late outcomes);
- rollback: route everything back to control, stop the experiment, remove the challenger alias and archive
  the candidate;
- complete: promote the candidate through the registry (gates included; the champion's scores on the
  candidate's holdout, from validation, make the comparison fair), serve it, conclude the experiment. If the
  gates refuse the promotion, the step becomes a rollback whose reason is the refusal.

Every step that changes something is audited in the store: a stage-history entry for the candidate (its
stage kept, or moved) and alias-history entries, each with the actor and the decision's reasons. `run`
waits one poll interval on the clock port between steps until the canary finishes.

Evidence at the 100 % stage: the control serves nothing, so comparisons with it are not judged (see
`domain.canary`), and outcomes joined through the experiment stop at 50 %; the error SPRT still runs. Errors
are candidate predictions without a valid probability output, plus failures reported with `record_failure`
(the prediction service does not log a failed inference). The rollout's state lives in this process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import attrs

from galfriday.domain import canary
from galfriday.domain.canary import (
    ArmStats,
    CanaryAction,
    CanaryPlan,
    CanaryState,
    CanaryStatus,
    CanaryStep,
    StageEvidence,
    drawdown,
)
from galfriday.domain.experiments import Arm, Experiment, ExperimentMode, ExperimentStatus, PredictionRecord
from galfriday.domain.model_stages import CHALLENGER, PRODUCTION
from galfriday.domain.models import ModelStage, ModelVersion
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.errors import InvalidValueError
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store
from galfriday.services.experiments import ExperimentService
from galfriday.services.model_registry import ModelRegistry, PromotionRefusedError
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog

ACTOR = "rollout"
POLL_SECONDS = 60.0
PROBABILITY_OUTPUT = "probabilities"
MAX_PREDICTIONS = 1_000_000
NEVER = 2**31
"""Outcomes per arm a canary experiment asks for: more than it will ever see, so only the rollout ends it."""


@attrs.define
class Rollout:
    """One canary in progress: the versions, its current experiment, and where the state machine stands."""

    model_name: str
    control: ModelVersion
    candidate: ModelVersion
    experiment: Experiment
    state: CanaryState
    champion_holdout: HoldoutMetrics | None = None
    steps: list[CanaryStep] = attrs.Factory(list)

    @property
    def finished(self) -> bool:
        return self.state.status is not CanaryStatus.RUNNING


class TrafficRouter(Protocol):
    """Sends `share` of the model's traffic to the candidate: 0 serves control alone, 1 the candidate alone."""

    def route(self, rollout: Rollout, share: float) -> None: ...


class PredictionServiceRouter:
    """`TrafficRouter` over the prediction service; both versions must already be loaded in its runtime."""

    def __init__(self, predictions: PredictionService) -> None:
        self._predictions = predictions

    def route(self, rollout: Rollout, share: float) -> None:
        if share <= 0.0:
            self._predictions.serve(rollout.control)
        elif share >= 1.0:
            self._predictions.serve(rollout.candidate)
        else:
            self._predictions.start_experiment(rollout.experiment, rollout.control, rollout.candidate)


class CanaryEvidenceSource(Protocol):
    async def evidence(self, rollout: Rollout, since: datetime) -> StageEvidence: ...


def invalid_probability(record: PredictionRecord, output: str = PROBABILITY_OUTPUT) -> bool:
    """An error: the probability output is missing or empty, or holds a value outside [0, 1]."""
    values = record.outputs.get(output)
    return not values or any(not 0.0 <= v <= 1.0 for v in values)


def p99(values: Sequence[float]) -> float | None:
    """The nearest-rank 99th percentile, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


class LoggedEvidence:
    """Stage evidence from the prediction store (flushing the log first) and the experiment's outcomes.

    `outcome_metric` (default `hit`, higher is better) feeds the outcome guardrail; `pnl_metric` (`pnl`) the
    candidate's drawdown.
    """

    def __init__(
        self,
        store: Store,
        prediction_log: PredictionLog | None = None,
        *,
        outcome_metric: str = "hit",
        pnl_metric: str = "pnl",
        is_error: Callable[[PredictionRecord], bool] = invalid_probability,
    ) -> None:
        self._store = store
        self._log = prediction_log
        self.outcome_metric = outcome_metric
        self.pnl_metric = pnl_metric
        self._is_error = is_error
        self._failures: list[tuple[str, int, datetime]] = []

    def record_failure(self, model_name: str, version: int, at: datetime) -> None:
        """A failed inference of `version` (it was not logged, but it counts as an error)."""
        self._failures.append((model_name, version, at))

    async def evidence(self, rollout: Rollout, since: datetime) -> StageEvidence:
        if self._log is not None and self._log.waiting:
            await self._log.flush()
        name = rollout.model_name
        async with self._store.unit_of_work() as uow:
            candidate = await uow.predictions.for_model(
                name, rollout.candidate.version, since, MAX_PREDICTIONS
            )
            control = await uow.predictions.for_model(name, rollout.control.version, since, MAX_PREDICTIONS)
            outcomes = [
                o for o in await uow.experiments.outcomes(rollout.experiment.id) if o.observed_at >= since
            ]
        flagged = [(r.at, self._is_error(r)) for r in candidate]
        flagged += [
            (at, True)
            for model, version, at in self._failures
            if model == name and version == rollout.candidate.version and at >= since
        ]
        flagged.sort(key=lambda item: item[0])
        by_arm = {
            arm: [
                o.values[self.outcome_metric]
                for o in outcomes
                if o.arm is arm and self.outcome_metric in o.values
            ]
            for arm in (Arm.CONTROL, Arm.CANDIDATE)
        }
        pnl = [
            Decimal(repr(o.values[self.pnl_metric]))
            for o in outcomes
            if o.arm is Arm.CANDIDATE and self.pnl_metric in o.values
        ]
        return StageEvidence(
            tuple(error for _, error in flagged),
            candidate=_arm_stats(candidate, by_arm[Arm.CANDIDATE]),
            control=_arm_stats(control, by_arm[Arm.CONTROL]),
            candidate_drawdown=drawdown(pnl),
        )


def _arm_stats(predictions: Sequence[PredictionRecord], outcomes: Sequence[float]) -> ArmStats:
    latencies = [r.latency_seconds for r in predictions]
    mean = math.fsum(outcomes) / len(outcomes) if outcomes else None
    return ArmStats(len(latencies), p99(latencies), len(outcomes), mean)


class RolloutService:
    def __init__(
        self,
        registry: ModelRegistry,
        experiments: ExperimentService,
        router: TrafficRouter,
        evidence: CanaryEvidenceSource,
        clock: Clock,
        *,
        plan: CanaryPlan | None = None,
        actor: str = ACTOR,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        if not poll_seconds > 0:
            raise InvalidValueError("poll_seconds", poll_seconds, "a positive number of seconds")
        plan = plan or CanaryPlan.default()
        if plan.stages[0].share >= 1.0:
            raise InvalidValueError("plan", plan.stages[0].share, "a first stage below 100 % (it is a split)")
        self._registry = registry
        self._experiments = experiments
        self._router = router
        self._evidence = evidence
        self._clock = clock
        self.plan = plan
        self.actor = actor
        self.poll_seconds = poll_seconds

    @property
    def _store(self) -> Store:
        return self._registry.store

    async def start(
        self,
        model_name: str,
        candidate_version: int,
        *,
        reason: str,
        champion_holdout: HoldoutMetrics | None = None,
    ) -> Rollout:
        """Begin the canary of a staging version against production; the first stage's share is routed."""
        aliases = await self._registry.aliases(model_name)
        if PRODUCTION not in aliases:
            raise InvalidValueError(
                "production",
                None,
                f"a production version of {model_name} to canary against (promote the first)",
            )
        control = await self._registry.get(model_name, aliases[PRODUCTION])
        candidate = await self._registry.get(model_name, candidate_version)
        if candidate.stage is not ModelStage.STAGING:
            raise InvalidValueError(
                "candidate stage",
                candidate.stage,
                f"staging: validate {model_name} v{candidate_version} first",
            )
        first = self.plan.stages[0].share
        started = f"canary started against v{control.version}: {reason}"
        await self._registry.set_alias(
            model_name, CHALLENGER, candidate_version, actor=self.actor, reason=started
        )
        state = canary.start(self.plan, self._clock.now())
        experiment = await self._open(model_name, control.version, candidate_version, state)
        rollout = Rollout(model_name, control, candidate, experiment, state, champion_holdout)
        self._router.route(rollout, first)
        await self._note(
            rollout, f"canary stage 1 of {len(self.plan.stages)}: {first:.0%} of traffic; {started}"
        )
        return rollout

    async def _open(self, model_name: str, control: int, candidate: int, state: CanaryState) -> Experiment:
        """The split experiment of one stage: its share, the rollout's seed, never concluded automatically."""
        return await self._experiments.create(
            f"canary-{model_name}-v{candidate}-stage{state.stage_index + 1}-{self._clock.now():%Y%m%dT%H%M%S}",
            model_name,
            control,
            candidate,
            mode=ExperimentMode.SPLIT,
            traffic_share=state.share,
            seed=f"canary:{model_name}:v{candidate}",
            min_outcomes_per_arm=NEVER,
        )

    async def step(self, rollout: Rollout) -> CanaryStep:
        """Judge the current stage now and apply the decision."""
        evidence = await self._evidence.evidence(rollout, rollout.state.stage_started_at)
        step = canary.evaluate(rollout.state, evidence, self._clock.now())
        rollout.state = step.state
        rollout.steps.append(step)
        if step.action is CanaryAction.ADVANCE:
            if step.state.share < 1.0:
                await self._finish(rollout, ExperimentStatus.CONCLUDED, "advanced", step)
                rollout.experiment = await self._open(
                    rollout.model_name, rollout.control.version, rollout.candidate.version, step.state
                )
            self._router.route(rollout, step.state.share)
            stage = f"stage {step.state.stage_index + 1} of {len(self.plan.stages)}"
            await self._note(rollout, f"canary {stage}: {step.state.share:.0%} of traffic; {step.summary}")
        elif step.action is CanaryAction.ROLLBACK:
            await self._roll_back(rollout, step)
        elif step.action is CanaryAction.COMPLETE:
            try:
                await self._complete(rollout, step)
            except PromotionRefusedError as refused:
                step = self._refused(rollout, step, refused)
                await self._roll_back(rollout, step)
        return step

    async def run(self, rollout: Rollout) -> CanaryStep:
        """Step every `poll_seconds` of the clock until the canary completes or is rolled back."""
        while True:
            await self._clock.sleep(self.poll_seconds)
            step = await self.step(rollout)
            if rollout.finished:
                return step

    async def _roll_back(self, rollout: Rollout, step: CanaryStep) -> None:
        self._router.route(rollout, 0.0)
        reason = f"canary rolled back at {rollout.state.stage.share:.0%}: {'; '.join(step.reasons)}"
        name, version = rollout.model_name, rollout.candidate.version
        await self._registry.set_alias(name, CHALLENGER, None, actor=self.actor, reason=reason)
        await self._registry.set_stage(name, version, ModelStage.ARCHIVED, actor=self.actor, reason=reason)
        await self._finish(rollout, ExperimentStatus.STOPPED, "rolled back", step)

    @staticmethod
    def _refused(rollout: Rollout, step: CanaryStep, refused: PromotionRefusedError) -> CanaryStep:
        """The canary baked clean but the registry's gates refused the promotion: a rollback, saying why."""
        rollout.state = attrs.evolve(rollout.state, status=CanaryStatus.ROLLED_BACK)
        replaced = CanaryStep(CanaryAction.ROLLBACK, rollout.state, step.guardrails, (str(refused),))
        rollout.steps[-1] = replaced
        return replaced

    async def _complete(self, rollout: Rollout, step: CanaryStep) -> None:
        reason = f"canary completed: {'; '.join(step.reasons)}"
        await self._registry.promote(
            rollout.model_name,
            rollout.candidate.version,
            actor=self.actor,
            reason=reason,
            champion_holdout=rollout.champion_holdout,
        )
        self._router.route(rollout, 1.0)
        await self._finish(rollout, ExperimentStatus.CONCLUDED, "promoted", step)

    async def _finish(
        self, rollout: Rollout, status: ExperimentStatus, action: str, step: CanaryStep
    ) -> None:
        conclusion = {
            "action": action,
            "winner": {"promoted": rollout.candidate.version, "rolled back": rollout.control.version}.get(
                action
            ),
            "canary": [
                {"action": s.action.value, "share": s.state.share, "reasons": list(s.reasons)}
                for s in rollout.steps
                if s.action is not CanaryAction.HOLD
            ],
            "guardrails": {g.name: {"tripped": g.tripped, "reason": g.reason} for g in step.guardrails},
        }
        async with self._store.unit_of_work() as uow:
            current = await uow.experiments.get(rollout.experiment.id)
            if current is not None and current.status is ExperimentStatus.RUNNING:
                rollout.experiment = await uow.experiments.finish(
                    rollout.experiment.id, status, conclusion, self._clock.now()
                )
                await uow.commit()

    async def _note(self, rollout: Rollout, reason: str) -> None:
        """An audit entry in the candidate's stage history (its stage unchanged)."""
        candidate = await self._registry.get(rollout.model_name, rollout.candidate.version)
        await self._registry.set_stage(
            rollout.model_name, candidate.version, candidate.stage, actor=self.actor, reason=reason
        )

"""The automated deployment pipeline: each tick moves a model one step along its lifecycle.

On `tick(name)`, in order of what is in flight:

1. a canary in progress is stepped (advance, hold, roll back, or complete with promotion);
2. a shadow experiment in progress is concluded when its policy allows: a candidate win starts the canary,
   anything else ends it (the candidate stays in staging for an operator);
3. otherwise the retraining policy is asked; a new version is validated against the champion on its own
   holdout (`HoldoutScorer`) and, passing every gate, goes to staging and into a shadow experiment. The very
   first version of a model has no champion to shadow: passing the gates, it is promoted directly.

Every tick returns what it did, as sentences. The pipeline's in-flight state (which shadow, which canary) lives
in this process; each change it makes is audited by the services it calls.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from galfriday.domain.canary import CanaryAction
from galfriday.domain.experiments import Experiment, ExperimentMode, ExperimentStatus
from galfriday.domain.model_stages import PRODUCTION
from galfriday.domain.models import ModelVersion
from galfriday.services.experiments import ExperimentService
from galfriday.services.holdout_scoring import HoldoutScorer
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.prediction import PredictionService
from galfriday.services.retraining import RetrainingService
from galfriday.services.rollout import Rollout, RolloutService

ACTOR = "pipeline"


@frozen
class TickReport:
    model_name: str
    actions: tuple[str, ...]


class ModelPipeline:
    def __init__(
        self,
        registry: ModelRegistry,
        retraining: RetrainingService,
        scorer: HoldoutScorer,
        experiments: ExperimentService,
        predictions: PredictionService,
        rollout: RolloutService,
        *,
        shadow_settings: dict[str, Any] | None = None,
        actor: str = ACTOR,
    ) -> None:
        self._registry = registry
        self._retraining = retraining
        self._scorer = scorer
        self._experiments = experiments
        self._predictions = predictions
        self._rollout = rollout
        self.shadow_settings = dict(shadow_settings or {})
        """Overrides of the shadow experiment's settings (e.g. `min_outcomes_per_arm`)."""
        self.actor = actor
        self.shadows: dict[str, Experiment] = {}
        self.canaries: dict[str, Rollout] = {}

    async def tick(self, model_name: str) -> TickReport:
        """One step for `model_name` (see the module docstring)."""
        if model_name in self.canaries:
            actions = await self._step_canary(model_name)
        elif model_name in self.shadows:
            actions = await self._conclude_shadow(model_name)
        else:
            actions = await self._retrain(model_name)
        return TickReport(model_name, tuple(actions))

    async def _step_canary(self, name: str) -> list[str]:
        rollout = self.canaries[name]
        step = await self._rollout.step(rollout)
        if rollout.finished:
            del self.canaries[name]
        version = rollout.candidate.version
        if step.action is CanaryAction.COMPLETE:
            return [f"v{version} promoted: {step.summary}"]
        if step.action is CanaryAction.ROLLBACK:
            return [f"v{version} rolled back: {step.summary}"]
        return [f"v{version} canary {step.summary}"]

    async def _conclude_shadow(self, name: str) -> list[str]:
        shadow = self.shadows[name]
        verdict = await self._experiments.conclude(shadow.id)
        if verdict.experiment.status is ExperimentStatus.RUNNING:
            return [f"shadow {shadow.name}: still collecting"]
        del self.shadows[name]
        candidate = shadow.candidate_version
        if verdict.winner != candidate:
            control = await self._registry.get(name, shadow.control_version)
            self._predictions.serve(control)
            return [
                f"shadow {shadow.name} ended ({verdict.experiment.status.value}); v{candidate} stays in staging"
            ]
        champion = await self._scorer.champion_holdout(name, candidate)
        reason = f"shadow {shadow.name} won"
        self.canaries[name] = await self._rollout.start(
            name, candidate, reason=reason, champion_holdout=champion
        )
        return [f"{reason}: canary of v{candidate} started"]

    async def _retrain(self, name: str) -> list[str]:
        result = await self._retraining.run(name)
        if result.version is None:
            return [result.decision.summary]
        version = result.version
        actions = [f"v{version.version} trained: {result.decision.summary}"]
        champion = await self._scorer.champion_holdout(name, version.version)
        gates = await self._registry.validate(
            name, version.version, actor=self.actor, reason="retrained", champion_holdout=champion
        )
        if not gates.passed:
            failed = "; ".join(f"{g.name}: {g.reason}" for g in gates.failures)
            return [*actions, f"v{version.version} failed validation: {failed}"]
        production = (await self._registry.aliases(name)).get(PRODUCTION)
        if production is None:
            await self._registry.promote(name, version.version, actor=self.actor, reason="first version")
            self._predictions.serve(await self._registry.load(name, version.version))
            return [*actions, f"v{version.version} promoted as the first version"]
        return [
            *actions,
            await self._start_shadow(name, await self._registry.load(name, production), version),
        ]

    async def _start_shadow(self, name: str, control: ModelVersion, candidate: ModelVersion) -> str:
        await self._registry.load(name, candidate.version)
        experiment = await self._experiments.create(
            f"shadow-{name}-v{candidate.version}",
            name,
            control.version,
            candidate.version,
            mode=ExperimentMode.SHADOW,
            **self.shadow_settings,
        )
        self._predictions.start_experiment(experiment, control, candidate)
        self.shadows[name] = experiment
        return f"v{candidate.version} validated into staging; shadow {experiment.name} started"

"""The model lifecycle on a schedule: every `[runtime] model_check_seconds`, each model in `[runtime] models`
takes one step of the automated pipeline (`ModelPipeline.tick`): a canary in progress is stepped, a shadow
experiment concluded when its policy allows, or else the retraining policy is asked (drift and degradation
from the monitoring service, model age, cooldown) and a new version is trained, validated against the
champion and shadowed (the very first version, passing the gates, is promoted directly).

Each retraining decision is counted in `galfriday_retrain_decisions_total{model, decision}` and each trigger
present in `galfriday_retrain_triggers_total{model, trigger}`; every action the pipeline reports is logged.
Retrains triggered, drift detected and canaries rolled back are alerted (`ModelDecisionAlerts`).
One model's failure is logged and does not keep the others from their step; the job run then counts as failed.
Before each step a production alias moved by another process (`galfriday models promote/rollback`) is served
(`ProductionFollower`); one the step itself moves, the pipeline serves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from galfriday.app import App
from galfriday.domain.canary import CanaryAction, CanaryStep
from galfriday.errors import GalfridayError
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.model_alerts import ModelDecisionAlerts
from galfriday.runtime.production_following import ProductionFollower
from galfriday.services.experiments import ExperimentService
from galfriday.services.holdout_scoring import HoldoutScorer
from galfriday.services.model_monitoring import ModelMonitoringService
from galfriday.services.model_pipeline import ModelPipeline, TickReport
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog
from galfriday.services.retraining import RegistryRegistrar, RetrainingService, RetrainResult
from galfriday.services.rollout import LoggedEvidence, PredictionServiceRouter, Rollout, RolloutService

log = logging.getLogger(__name__)


class MeteredRetraining(RetrainingService):
    """The retraining service, counting each decision and its triggers on /metrics."""

    def __init__(
        self, *args: Any, metrics: RuntimeMetrics, alerts: ModelDecisionAlerts | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._metrics = metrics
        self._alerts = alerts

    async def run(self, model_name: str, *, force: bool = False) -> RetrainResult:
        result = await super().run(model_name, force=force)
        decision = "retrain" if result.version is not None else "hold"
        self._metrics.retrain_decisions.labels(model_name, decision).inc()
        for trigger in result.decision.triggers:
            self._metrics.retrain_triggers.labels(model_name, trigger.value).inc()
        if self._alerts is not None:
            version = None if result.version is None else result.version.version
            await self._alerts.retrain_decided(result.decision, retrained_version=version)
        return result


class AlertingRollout(RolloutService):
    """The rollout service, alerting each automatic canary rollback."""

    def __init__(self, *args: Any, alerts: ModelDecisionAlerts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alerts = alerts

    async def step(self, rollout: Rollout) -> CanaryStep:
        step = await super().step(rollout)
        if step.action is CanaryAction.ROLLBACK:
            await self._alerts.canary_rolled_back(
                rollout.model_name,
                candidate=rollout.candidate.version,
                control=rollout.control.version,
                summary=step.summary,
            )
        return step


class ModelChecks:
    """The action of the `model-checks` periodic job: one pipeline step per watched model."""

    def __init__(
        self, pipeline: ModelPipeline, models: Sequence[str], *, follower: ProductionFollower | None = None
    ) -> None:
        self.pipeline = pipeline
        self.follower = follower
        self._models = tuple(models)
        self.reports: dict[str, TickReport] = {}
        """The latest step per model."""

    async def __call__(self) -> None:
        failed: list[str] = []
        for name in self._models:
            try:
                report = await self._step(name)
            except Exception:
                log.exception("model pipeline step of %s failed", name)
                failed.append(name)
                continue
            self.reports[name] = report
            for action in report.actions:
                log.info("model %s: %s", name, action)
        if failed:
            raise ModelCheckError(f"model pipeline steps failed for {', '.join(failed)}; see the log above")

    async def _step(self, name: str) -> TickReport:
        if self.follower is None:
            return await self.pipeline.tick(name)
        await self.follower.follow(name)
        before = await self.follower.production(name)
        report = await self.pipeline.tick(name)
        after = await self.follower.production(name)
        if after is not None and after != before:  # the step promoted or rolled back, and serves it
            self.follower.served(name, after)
        return report


class ModelCheckError(GalfridayError):
    """At least one model's pipeline step failed."""


def model_pipeline(
    app: App, predictions: PredictionService, prediction_log: PredictionLog, metrics: RuntimeMetrics
) -> tuple[ModelPipeline, ModelRegistry]:
    """The automated model lifecycle over the app's store, artifacts, model runtime and trainer, serving through
    `predictions` (so the shadow and canary experiments see the traffic it serves), alerting its decisions
    through the app's notifier; and its registry."""
    trainer = app.trainer
    if getattr(trainer, "store", False) is None:
        trainer.store = app.store  # the sklearn trainer reads its candles from the app's store
    registry = ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock)
    alerts = ModelDecisionAlerts(app.notifier, app.clock)
    retraining = MeteredRetraining(
        app.store,
        app.clock,
        trainer,
        RegistryRegistrar(registry),
        monitoring=ModelMonitoringService(app.store, app.clock),
        metrics=metrics,
        alerts=alerts,
    )
    experiments = ExperimentService(app.store, app.clock, prediction_log=prediction_log)
    rollout = AlertingRollout(
        registry,
        experiments,
        PredictionServiceRouter(predictions),
        LoggedEvidence(app.store, prediction_log),
        app.clock,
        alerts=alerts,
    )
    pipeline = ModelPipeline(registry, retraining, HoldoutScorer(registry), experiments, predictions, rollout)
    return pipeline, registry

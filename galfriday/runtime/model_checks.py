"""Model monitoring and retraining on a schedule: for each model in `[runtime] models`, the retraining service
reads its condition (age, the monitoring's drift and degradation verdicts, cooldown), asks the policy, and
trains and registers a development version when told to. Promotion stays a separate, gated step.

Each check counts its decision in `galfriday_retrain_decisions_total{model, decision}` and every trigger
present in `galfriday_retrain_triggers_total{model, trigger}`. One model's failure is logged and does not
keep the others from being checked; the run then counts as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from galfriday.errors import GalfridayError
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.services.retraining import RetrainingService, RetrainResult

log = logging.getLogger(__name__)


class ModelChecks:
    """The action of the `model-checks` periodic job."""

    def __init__(
        self, retraining: RetrainingService, models: Sequence[str], *, metrics: RuntimeMetrics
    ) -> None:
        self._retraining = retraining
        self._models = tuple(models)
        self._metrics = metrics
        self.results: dict[str, RetrainResult] = {}
        """The latest result per model."""

    async def __call__(self) -> None:
        failed: list[str] = []
        for name in self._models:
            try:
                result = await self._retraining.run(name)
            except Exception:
                log.exception("model check of %s failed", name)
                failed.append(name)
                continue
            self.results[name] = result
            decision = result.decision
            self._metrics.retrain_decisions.labels(name, "retrain" if result.version else "hold").inc()
            for trigger in decision.triggers:
                self._metrics.retrain_triggers.labels(name, trigger.value).inc()
            if result.version is not None:
                log.warning(
                    "retrained %s: version %d registered for review (%s)",
                    name,
                    result.version.version,
                    decision.summary,
                )
            else:
                log.info("model check: %s", decision.summary)
        if failed:
            raise ModelCheckError(f"model checks failed for {', '.join(failed)}; see the log above")


class ModelCheckError(GalfridayError):
    """At least one model could not be checked."""

"""Experiments: create them, join outcomes to logged predictions, report their statistics, conclude them.

A conclusion is automatic under the experiment's policy (`ExperimentSettings`): `Promote` hands the candidate
to the injected promoter (the model registry in an app) and ends the experiment as concluded with the
candidate as winner; `Stop` ends it with the control as winner (the candidate lost, or cannot win by the
margin); `Invalid` (a sample-ratio mismatch) ends it as stopped, since its numbers cannot be trusted; and
`KeepCollecting` leaves it running. Every ending stores the full assessment as the experiment's conclusion.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from attrs import frozen

from galfriday.domain.amounts import exact
from galfriday.domain.experiment_evidence import (
    ExperimentAssessment,
    assess,
    forecast_probability,
    forecast_values,
    shadow_prediction_id,
)
from galfriday.domain.experiment_settings import ExperimentSettings
from galfriday.domain.experiments import (
    Arm,
    Experiment,
    ExperimentMode,
    ExperimentOutcome,
    ExperimentStatus,
    PredictionRecord,
)
from galfriday.domain.statistics.decision import Invalid, KeepCollecting, Promote, Stop
from galfriday.errors import InvalidValueError, NotFoundError
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store
from galfriday.services.prediction_log import PredictionLog


class Promoter(Protocol):
    """Makes a model version the one in production (the model registry's promotion, in an app)."""

    async def __call__(self, model_name: str, version: int, reason: str) -> None: ...


@frozen
class Verdict:
    """What concluding did: the assessment, the experiment as stored, and the winning version (if it ended)."""

    assessment: ExperimentAssessment
    experiment: Experiment
    winner: int | None
    promoted: bool


class ExperimentService:
    """Use cases of experiments over the store (and, for promotions, the injected `promoter`)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        promoter: Promoter | None = None,
        prediction_log: PredictionLog | None = None,
        bootstrap_resamples: int = 10_000,
    ) -> None:
        self._store = store
        self._clock = clock
        self._promoter = promoter
        self._log = prediction_log
        self.bootstrap_resamples = bootstrap_resamples

    async def create(
        self,
        name: str,
        model_name: str,
        control_version: int,
        candidate_version: int,
        *,
        mode: ExperimentMode | str = ExperimentMode.SHADOW,
        **settings: Any,
    ) -> Experiment:
        """Start an experiment (shadow by default); `settings` override `ExperimentSettings` defaults by name.

        A split experiment takes `traffic_share`, the candidate's share of routing keys. The routing seed
        defaults to the experiment's id, so every experiment buckets keys independently of the others.
        """
        mode = ExperimentMode(mode)
        if control_version == candidate_version:
            raise InvalidValueError(
                "candidate_version", candidate_version, "a version other than the control"
            )
        experiment_id = f"exp-{secrets.token_hex(6)}"
        chosen = ExperimentSettings.defaults(mode, settings.pop("seed", experiment_id), **settings)
        experiment = Experiment(
            id=experiment_id,
            name=name,
            mode=mode,
            status=ExperimentStatus.RUNNING,
            model_name=model_name,
            control_version=control_version,
            candidate_version=candidate_version,
            config=chosen.to_config(),
            created_at=self._clock.now(),
        )
        async with self._store.unit_of_work() as uow:
            await uow.experiments.create(experiment)
            await uow.commit()
        return experiment

    async def find(self, reference: str) -> Experiment:
        """The experiment with this id, or else this name; `NotFoundError` if neither."""
        async with self._store.unit_of_work() as uow:
            found = await uow.experiments.get(reference) or await uow.experiments.get_by_name(reference)
        if found is None:
            raise NotFoundError("experiment", reference)
        return found

    async def list_experiments(self, status: ExperimentStatus | None = None) -> list[Experiment]:
        """Experiments (with `status`, if given), oldest first."""
        async with self._store.unit_of_work() as uow:
            return await uow.experiments.list(status)

    async def running(self) -> list[Experiment]:
        return await self.list_experiments(ExperimentStatus.RUNNING)

    # --- outcomes --------------------------------------------------------------------------------------------

    async def record_outcome(
        self, prediction_id: str, values: Mapping[str, float], observed_at: datetime | None = None
    ) -> bool:
        """Join `values` (e.g. `{"pnl": 12.5}`) to a logged prediction; False if it was already recorded."""
        prediction = await self._prediction(prediction_id)
        return await self._add([self._outcome(prediction, values, observed_at)]) == 1

    async def record_result(
        self,
        prediction_id: str,
        happened: bool,
        *,
        pnl: Decimal | None = None,
        observed_at: datetime | None = None,
    ) -> int:
        """Resolve a request: whether the predicted event happened (and the P&L of acting on it).

        `pnl` is money, so a `Decimal` (a float is refused); the statistics take it as a float outcome value.

        Each arm's hit, Brier and log loss are computed from its logged probability; in a shadow experiment
        the candidate's shadow prediction of the same request is resolved too. `pnl` goes to the acted
        prediction only (a shadow output earned nothing). Returns how many outcomes were new.
        """
        acted = await self._prediction(prediction_id)
        experiment = await self._experiment_of(acted)
        settings = ExperimentSettings.from_config(experiment.config)
        resolved = [(acted, {} if pnl is None else {"pnl": float(exact("pnl", pnl))})]
        if experiment.mode is ExperimentMode.SHADOW and acted.acted:
            shadow = await self._find_prediction(shadow_prediction_id(acted.id))
            if shadow is not None:
                resolved.append((shadow, {}))
        outcomes = [
            self._outcome(
                record,
                {**forecast_values(forecast_probability(record.outputs, settings), happened), **extra},
                observed_at,
            )
            for record, extra in resolved
        ]
        return await self._add(outcomes)

    def _outcome(
        self, prediction: PredictionRecord, values: Mapping[str, float], observed_at: datetime | None
    ) -> ExperimentOutcome:
        if prediction.experiment_id is None or prediction.arm is None:
            raise InvalidValueError("prediction_id", prediction.id, "a prediction made inside an experiment")
        return ExperimentOutcome(
            experiment_id=prediction.experiment_id,
            prediction_id=prediction.id,
            arm=prediction.arm,
            model_version=prediction.version,
            routing_key=prediction.routing_key,
            values=dict(values),
            observed_at=observed_at or self._clock.now(),
        )

    async def _add(self, outcomes: Iterable[ExperimentOutcome]) -> int:
        async with self._store.unit_of_work() as uow:
            new = await uow.experiments.add_outcomes(outcomes)
            await uow.commit()
        return new

    async def _find_prediction(self, prediction_id: str) -> PredictionRecord | None:
        async with self._store.unit_of_work() as uow:
            found = await uow.predictions.get(prediction_id)
        if found is None and self._log is not None and self._log.waiting:
            await self._log.flush()  # the prediction may still be in the log's buffer
            async with self._store.unit_of_work() as uow:
                found = await uow.predictions.get(prediction_id)
        return found

    async def _prediction(self, prediction_id: str) -> PredictionRecord:
        found = await self._find_prediction(prediction_id)
        if found is None:
            raise NotFoundError("prediction", prediction_id)
        return found

    async def _experiment_of(self, prediction: PredictionRecord) -> Experiment:
        if prediction.experiment_id is None:
            raise InvalidValueError("prediction_id", prediction.id, "a prediction made inside an experiment")
        return await self.find(prediction.experiment_id)

    # --- status and conclusions ------------------------------------------------------------------------------

    async def status(self, reference: str) -> ExperimentAssessment:
        """Per-arm counts, the statistics of the experiment's mode, and what the policy concludes now."""
        return (await self._assessed(reference))[1]

    async def _assessed(self, reference: str) -> tuple[Experiment, ExperimentAssessment]:
        experiment = await self.find(reference)
        if self._log is not None and self._log.waiting:
            await self._log.flush()
        async with self._store.unit_of_work() as uow:
            outcomes = await uow.experiments.outcomes(experiment.id)
            predictions = await uow.predictions.for_experiment(experiment.id)
        counts = _prediction_counts(experiment, predictions)
        settings = ExperimentSettings.from_config(experiment.config)
        # pure-Python statistics (the bootstrap draws 10,000 resamples) take seconds on large experiments: a
        # worker thread lets the event loop keep serving (it gets the GIL back every switch interval)
        assessment = await asyncio.to_thread(
            assess,
            experiment,
            settings,
            outcomes,
            counts,
            self._clock.now(),
            resamples=self.bootstrap_resamples,
        )
        return experiment, assessment

    async def conclude(self, reference: str) -> Verdict:
        """Apply the policy now: promote and end, stop and end, end as invalid, or leave it running."""
        experiment, assessment = await self._assessed(reference)
        if experiment.status is not ExperimentStatus.RUNNING:
            raise InvalidValueError(
                "experiment", experiment.name, f"a running experiment (it is {experiment.status})"
            )
        conclusion = assessment.conclusion
        if isinstance(conclusion, KeepCollecting):
            return Verdict(assessment, experiment, None, promoted=False)
        document = assessment.document()
        promoted = False
        if isinstance(conclusion, Promote):
            winner: int | None = experiment.candidate_version
            status = ExperimentStatus.CONCLUDED
            if self._promoter is not None:
                reason = f"experiment {experiment.name} ({experiment.id}): " + "; ".join(conclusion.reasons)
                await self._promoter(experiment.model_name, experiment.candidate_version, reason)
                promoted = True
        elif isinstance(conclusion, Stop):
            winner, status = experiment.control_version, ExperimentStatus.CONCLUDED
        else:
            assert isinstance(conclusion, Invalid)
            winner, status = None, ExperimentStatus.STOPPED
        document.update(winner=winner, promoted=promoted)
        async with self._store.unit_of_work() as uow:
            finished = await uow.experiments.finish(experiment.id, status, document, self._clock.now())
            await uow.commit()
        return Verdict(assessment, finished, winner, promoted)

    async def conclude_running(self) -> list[Verdict]:
        """`conclude` every running experiment (the automatic, periodic form)."""
        return [await self.conclude(experiment.id) for experiment in await self.running()]

    async def stop(self, reference: str, reason: str) -> Experiment:
        """End a running experiment by hand, with no winner."""
        experiment = await self.find(reference)
        async with self._store.unit_of_work() as uow:
            finished = await uow.experiments.finish(
                experiment.id,
                ExperimentStatus.STOPPED,
                {"action": "stopped by hand", "reason": reason},
                self._clock.now(),
            )
            await uow.commit()
        return finished


def _prediction_counts(experiment: Experiment, predictions: Iterable[PredictionRecord]) -> tuple[int, int]:
    """(control, candidate) predictions: acted ones in split mode (the assignments), all in shadow mode."""
    control = candidate = 0
    split = experiment.mode is ExperimentMode.SPLIT
    for record in predictions:
        if split and not record.acted:
            continue
        if record.arm is Arm.CONTROL:
            control += 1
        elif record.arm is Arm.CANDIDATE:
            candidate += 1
    return control, candidate

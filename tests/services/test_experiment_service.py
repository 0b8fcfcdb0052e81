"""Experiments end to end on memory adapters: routed predictions, joined outcomes, automatic conclusions."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.runtime import LinearModel, MemoryModelRuntime
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.experiments import (
    Arm,
    ExperimentMode,
    ExperimentOutcome,
    ExperimentStatus,
    PredictionRecord,
)
from galfriday.domain.models import FeatureSpec, ModelVersion
from galfriday.domain.statistics.decision import Invalid, KeepCollecting, Promote, Stop
from galfriday.errors import InvalidValueError, ModelError, NotFoundError
from galfriday.services.experiments import ExperimentService
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog

START = datetime(2026, 11, 1, tzinfo=UTC)
FEATURES = (FeatureSpec("x1"), FeatureSpec("x2"))
TRUE_WEIGHTS = (3.0, 3.0)
"""The event happens with probability logistic(3 x1 + 3 x2)."""
KNOWS_ALL = TRUE_WEIGHTS
KNOWS_NOTHING = (0.0, 0.0)
KNOWS_X1 = (3.0, 0.0)
KNOWS_X2 = (0.0, 3.0)
"""Two different models of the same skill: each sees one of two equally informative features."""


def artifact(weights: tuple[float, float]) -> bytes:
    return LinearModel(FEATURES, weights, 0.0, link="logistic", output="probabilities").to_bytes()


def version(number: int, data: bytes) -> ModelVersion:
    return ModelVersion(
        name="btc-direction",
        version=number,
        artifact_uri=f"memory://btc-direction/{number}",
        artifact_sha256=hashlib.sha256(data).hexdigest(),
        created_at=START,
        features=FEATURES,
    )


class Promotions:
    """A promoter that remembers what it was asked to promote."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []

    async def __call__(self, model_name: str, version: int, reason: str) -> None:
        self.calls.append((model_name, version, reason))


class Lab:
    """A store, a clock, a runtime with control v3 and candidate v4 loaded, and both services."""

    def __init__(self, control_weight: tuple[float, float], candidate_weight: tuple[float, float]) -> None:
        self.store = MemoryStore()
        self.clock = ManualClock(START)
        self.runtime = MemoryModelRuntime()
        self.log = PredictionLog(self.store, self.clock, batch_size=500, capacity=100_000)
        self.promotions = Promotions()
        self.predictions = PredictionService(self.runtime, self.log, self.clock)
        self.experiments = ExperimentService(
            self.store, self.clock, promoter=self.promotions, prediction_log=self.log, bootstrap_resamples=200
        )
        self.control = version(3, artifact(control_weight))
        self.candidate = version(4, artifact(candidate_weight))
        self.weights = (control_weight, candidate_weight)

    async def start(self, mode: ExperimentMode = ExperimentMode.SHADOW, **settings: object) -> str:
        await self.runtime.load(self.control, artifact(self.weights[0]))
        await self.runtime.load(self.candidate, artifact(self.weights[1]))
        experiment = await self.experiments.create(
            "v3 vs v4", "btc-direction", 3, 4, mode=mode, min_outcomes_per_arm=300, **settings
        )
        self.predictions.start_experiment(experiment, self.control, self.candidate)
        return experiment.id

    async def trade(self, requests: int, seed: int) -> None:
        """Serve `requests` decisions and resolve each with the truth, a minute apart."""
        rng = random.Random(seed)
        for i in range(requests):
            x1, x2 = rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0)
            served = await self.predictions.predict(
                "btc-direction", {"x1": [x1], "x2": [x2]}, routing_key=f"decision-{seed}-{i}"
            )
            logit = TRUE_WEIGHTS[0] * x1 + TRUE_WEIGHTS[1] * x2
            happened = rng.random() < 1.0 / (1.0 + math.exp(-logit))
            self.clock.advance(60)
            await self.experiments.record_result(
                served.prediction_id, happened, pnl=Decimal(1) if happened else Decimal(-1)
            )


async def test_a_clearly_better_candidate_is_promoted_and_the_conclusion_stored() -> None:
    lab = Lab(control_weight=KNOWS_NOTHING, candidate_weight=KNOWS_ALL)
    experiment_id = await lab.start()
    await lab.trade(400, seed=1)
    lab.clock.advance(timedelta(days=8).total_seconds())
    verdict = await lab.experiments.conclude(experiment_id)
    assert isinstance(verdict.assessment.conclusion, Promote)
    assert (verdict.winner, verdict.promoted) == (4, True)
    assert [(name, v) for name, v, _ in lab.promotions.calls] == [("btc-direction", 4)]
    stored = await lab.experiments.find(experiment_id)
    assert stored.status is ExperimentStatus.CONCLUDED
    assert stored.concluded_at == lab.clock.now()
    assert stored.conclusion is not None
    assert (stored.conclusion["action"], stored.conclusion["winner"]) == ("promote", 4)


async def test_a_clearly_worse_candidate_is_stopped_and_control_kept() -> None:
    lab = Lab(control_weight=KNOWS_ALL, candidate_weight=KNOWS_NOTHING)
    experiment_id = await lab.start()
    await lab.trade(400, seed=2)
    lab.clock.advance(timedelta(days=8).total_seconds())
    verdict = await lab.experiments.conclude(experiment_id)
    assert isinstance(verdict.assessment.conclusion, Stop)
    assert (verdict.winner, verdict.promoted) == (3, False)
    assert lab.promotions.calls == []
    assert (await lab.experiments.find(experiment_id)).status is ExperimentStatus.CONCLUDED


async def test_an_a_a_experiment_keeps_collecting_and_keeps_running() -> None:
    """Different models of equal skill: 400 paired outcomes cannot tell them apart."""
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_X2)
    experiment_id = await lab.start()
    await lab.trade(400, seed=3)
    lab.clock.advance(timedelta(days=8).total_seconds())
    verdict = await lab.experiments.conclude(experiment_id)
    assert isinstance(verdict.assessment.conclusion, KeepCollecting)
    assert (await lab.experiments.find(experiment_id)).status is ExperimentStatus.RUNNING


async def test_status_counts_predictions_and_outcomes_per_arm() -> None:
    lab = Lab(control_weight=KNOWS_NOTHING, candidate_weight=KNOWS_ALL)
    experiment_id = await lab.start()
    await lab.trade(50, seed=4)
    status = await lab.experiments.status(experiment_id)
    assert (status.control.predictions, status.candidate.predictions) == (50, 50)
    assert (status.control.outcomes, status.candidate.outcomes) == (50, 50)
    assert status.pairs == 50
    assert "pnl" in status.control.means
    assert "pnl" not in status.candidate.means  # a shadow output earned nothing


async def test_an_outcome_is_joined_to_its_logged_prediction() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_ALL)
    experiment_id = await lab.start(ExperimentMode.SPLIT, traffic_share=0.5)
    served = await lab.predictions.predict(
        "btc-direction", {"x1": [0.5], "x2": [0.1]}, routing_key="decision-9"
    )
    assert await lab.experiments.record_outcome(served.prediction_id, {"pnl": 12.5}) is True
    assert await lab.experiments.record_outcome(served.prediction_id, {"pnl": 12.5}) is False
    async with lab.store.unit_of_work() as uow:
        [joined] = await uow.experiments.outcomes(experiment_id)
    assert joined == ExperimentOutcome(
        experiment_id=experiment_id,
        prediction_id=served.prediction_id,
        arm=Arm(served.arm or ""),
        model_version=served.version,
        routing_key="decision-9",
        values={"pnl": 12.5},
        observed_at=START,
    )


async def test_an_outcome_for_an_unknown_prediction_is_refused() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_ALL)
    await lab.start()
    with pytest.raises(NotFoundError, match="no-such-prediction"):
        await lab.experiments.record_outcome("no-such-prediction", {"pnl": 1.0})


async def test_an_outcome_for_a_prediction_outside_experiments_is_refused() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_ALL)
    await lab.runtime.load(lab.control, artifact(KNOWS_X1))
    lab.predictions.serve(lab.control)
    served = await lab.predictions.predict("btc-direction", {"x1": [0.5], "x2": [0.1]})
    with pytest.raises(InvalidValueError, match="inside an experiment"):
        await lab.experiments.record_outcome(served.prediction_id, {"pnl": 1.0})


async def test_a_sample_ratio_mismatch_stops_a_split_experiment_without_a_winner() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_X2)
    experiment_id = await lab.start(ExperimentMode.SPLIT, traffic_share=0.5)
    experiment = await lab.experiments.find(experiment_id)
    skewed = [
        PredictionRecord(
            id=f"p{i}",
            model_name="btc-direction",
            version=3 if i < 700 else 4,
            experiment_id=experiment_id,
            arm="control" if i < 700 else "candidate",
            routing_key=f"k{i}",
            acted=True,
            outputs={"probabilities": (0.5,)},
            latency_seconds=0.0,
            at=START,
        )
        for i in range(1_000)
    ]
    async with lab.store.unit_of_work() as uow:
        await uow.predictions.add_many(skewed)
        await uow.commit()
    for record in skewed:
        await lab.experiments.record_outcome(record.id, {"pnl": 0.0})
    verdict = await lab.experiments.conclude(experiment.name)
    assert isinstance(verdict.assessment.conclusion, Invalid)
    assert verdict.winner is None
    assert (await lab.experiments.find(experiment_id)).status is ExperimentStatus.STOPPED


async def test_a_concluded_experiment_cannot_be_concluded_again() -> None:
    lab = Lab(control_weight=KNOWS_NOTHING, candidate_weight=KNOWS_ALL)
    experiment_id = await lab.start()
    await lab.trade(400, seed=1)
    lab.clock.advance(timedelta(days=8).total_seconds())
    await lab.experiments.conclude(experiment_id)
    with pytest.raises(InvalidValueError, match="running experiment"):
        await lab.experiments.conclude(experiment_id)


async def test_creating_an_experiment_against_itself_is_refused() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_ALL)
    with pytest.raises(InvalidValueError, match="candidate_version"):
        await lab.experiments.create("self", "btc-direction", 3, 3)


async def test_conclude_running_concludes_every_running_experiment() -> None:
    lab = Lab(control_weight=KNOWS_NOTHING, candidate_weight=KNOWS_ALL)
    await lab.start()
    await lab.trade(400, seed=5)
    lab.clock.advance(timedelta(days=8).total_seconds())
    [verdict] = await lab.experiments.conclude_running()
    assert verdict.winner == 4
    assert await lab.experiments.running() == []


async def test_stopping_by_hand_ends_the_experiment_with_the_reason_and_no_winner() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_ALL)
    experiment_id = await lab.start()
    stopped = await lab.experiments.stop(experiment_id, "the candidate's features are stale")
    assert stopped.status is ExperimentStatus.STOPPED
    assert stopped.conclusion == {"action": "stopped by hand", "reason": "the candidate's features are stale"}
    assert lab.promotions.calls == []


class RefusingPromoter:
    """A registry that refuses every promotion (its gates failed)."""

    async def __call__(self, model_name: str, version: int, reason: str) -> None:
        raise ModelError(f"promotion of {model_name} v{version} refused: the latency gate failed")


async def test_a_refused_promotion_leaves_the_experiment_running() -> None:
    lab = Lab(control_weight=KNOWS_NOTHING, candidate_weight=KNOWS_ALL)
    lab.experiments = ExperimentService(
        lab.store, lab.clock, promoter=RefusingPromoter(), prediction_log=lab.log, bootstrap_resamples=100
    )
    experiment_id = await lab.start()
    await lab.trade(400, seed=1)
    lab.clock.advance(timedelta(days=8).total_seconds())
    with pytest.raises(ModelError, match="refused"):
        await lab.experiments.conclude(experiment_id)
    assert (await lab.experiments.find(experiment_id)).status is ExperimentStatus.RUNNING


async def test_split_routing_as_configured_passes_the_sample_ratio_check() -> None:
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_X2)
    experiment_id = await lab.start(ExperimentMode.SPLIT, traffic_share=0.3)
    await lab.trade(1_000, seed=6)
    status = await lab.experiments.status(experiment_id)
    assert status.sample_ratio is not None
    assert not status.sample_ratio.mismatch
    assert status.control.predictions + status.candidate.predictions == 1_000
    assert status.candidate.predictions / 1_000 == pytest.approx(0.3, abs=0.05)


async def test_a_router_splitting_other_than_configured_is_caught_by_the_sample_ratio_check() -> None:
    """The stored experiment says 30 % to the candidate; the router was started with a 50 % copy."""
    lab = Lab(control_weight=KNOWS_X1, candidate_weight=KNOWS_X2)
    experiment_id = await lab.start(ExperimentMode.SPLIT, traffic_share=0.3)
    stored = await lab.experiments.find(experiment_id)
    misconfigured = attrs.evolve(stored, config={**stored.config, "traffic_share": 0.5})
    lab.predictions.start_experiment(misconfigured, lab.control, lab.candidate)
    await lab.trade(1_000, seed=7)
    status = await lab.experiments.status(experiment_id)
    assert status.sample_ratio is not None
    assert status.sample_ratio.mismatch
    assert isinstance(status.conclusion, Invalid)

"""Routed, logged predictions on real onnxruntime sessions: skl2onnx pipelines in shadow and split experiments."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.experiments import Arm, ExperimentMode
from galfriday.domain.models import ModelVersion
from galfriday.services.experiments import ExperimentService
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog
from galfriday.testing.onnx_models import INPUT, LogisticPipeline, logistic_pipeline

START = datetime(2026, 11, 1, tzinfo=UTC)
NAME = "btc-direction"


def version(number: int, pipeline: LogisticPipeline) -> ModelVersion:
    return ModelVersion(
        name=NAME,
        version=number,
        artifact_uri=f"memory://{NAME}/{number}",
        artifact_sha256=hashlib.sha256(pipeline.artifact).hexdigest(),
        created_at=START,
        features=pipeline.features,
    )


class Lab:
    def __init__(self, runtime: OnnxModelRuntime) -> None:
        self.runtime = runtime
        self.store = MemoryStore()
        self.clock = ManualClock(START)
        self.log = PredictionLog(self.store, self.clock)
        self.predictions = PredictionService(runtime, self.log, self.clock)
        self.experiments = ExperimentService(
            self.store, self.clock, prediction_log=self.log, bootstrap_resamples=100
        )
        self.weak = logistic_pipeline(n_features=3, seed=1, signal=0.2)
        self.strong = logistic_pipeline(n_features=3, seed=2, signal=3.0)
        self.control = version(1, self.weak)
        self.candidate = version(2, self.strong)

    async def start(self, mode: ExperimentMode, **settings: object) -> str:
        await self.runtime.load(self.control, self.weak.artifact)
        await self.runtime.load(self.candidate, self.strong.artifact)
        experiment = await self.experiments.create("weak vs strong", NAME, 1, 2, mode=mode, **settings)
        self.predictions.start_experiment(experiment, self.control, self.candidate)
        return experiment.id


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    runtime = OnnxModelRuntime()
    yield Lab(runtime)
    await runtime.close()


def row(pipeline: LogisticPipeline, i: int) -> dict[str, list[float]]:
    return {spec.name: [float(pipeline.x[i, j])] for j, spec in enumerate(pipeline.features)}


async def test_a_shadow_request_returns_the_control_sessions_answer_and_logs_both(lab: Lab) -> None:
    await lab.start(ExperimentMode.SHADOW)
    features = row(lab.weak, 0)
    served = await lab.predictions.predict(NAME, features, routing_key="decision-1")
    x = np.array([[features[spec.name][0] for spec in lab.weak.features]], dtype=np.float32)
    expected = lab.runtime.session(lab.control).run(None, {INPUT: x})[1].ravel().tolist()
    assert served.outputs["probabilities"] == pytest.approx(expected, abs=1e-6)
    await lab.log.flush()
    async with lab.store.unit_of_work() as uow:
        records = await uow.predictions.for_experiment(served.experiment_id or "")
    assert {(r.arm, r.version, r.acted) for r in records} == {
        (Arm.CONTROL, 1, True),
        (Arm.CANDIDATE, 2, False),
    }


async def test_results_resolve_both_arms_from_the_onnx_probabilities(lab: Lab) -> None:
    experiment_id = await lab.start(ExperimentMode.SHADOW, min_outcomes_per_arm=100)
    rng = np.random.default_rng(5)
    for i in range(300):
        features = row(lab.strong, i)
        served = await lab.predictions.predict(NAME, features, routing_key=f"decision-{i}")
        lab.clock.advance(60)
        await lab.experiments.record_result(
            served.prediction_id, bool(lab.strong.y[i]) == bool(rng.random() < 0.95)
        )
    lab.clock.advance(timedelta(days=8).total_seconds())
    status = await lab.experiments.status(experiment_id)
    assert status.pairs == 300
    assert status.candidate.means["brier"] < status.control.means["brier"]
    assert status.conclusion.action == "promote"


async def test_split_requests_are_served_by_the_session_of_their_arm(lab: Lab) -> None:
    await lab.start(ExperimentMode.SPLIT, traffic_share=0.5)
    features = row(lab.weak, 3)
    answers = {}
    for i in range(100):
        served = await lab.predictions.predict(NAME, features, routing_key=f"k{i}")
        answers[served.version] = list(served.outputs["probabilities"])
    assert set(answers) == {1, 2}
    assert answers[1] != answers[2]

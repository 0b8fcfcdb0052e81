"""The prediction service: routes each request, returns only what may be acted on, logs every output."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.runtime import LinearModel, MemoryModelRuntime
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.experiment_settings import ExperimentSettings, routing
from galfriday.domain.experiments import Arm, Experiment, ExperimentMode, ExperimentStatus, PredictionRecord
from galfriday.domain.models import FeatureSpec, ModelVersion
from galfriday.domain.routing import BUCKETS, assign, bucket_index
from galfriday.errors import InvalidValueError, ModelError
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FEATURES = (FeatureSpec("x1"), FeatureSpec("x2"))
ROW = {"x1": [1.0], "x2": [2.0]}


def linear(weights: tuple[float, float], bias: float) -> bytes:
    return LinearModel(FEATURES, weights, bias, link="logistic", output="probability").to_bytes()


CONTROL_ARTIFACT = linear((0.5, -0.25), 0.1)
CANDIDATE_ARTIFACT = linear((1.0, 0.5), -1.0)


def version(number: int, artifact: bytes) -> ModelVersion:
    return ModelVersion(
        name="btc-direction",
        version=number,
        artifact_uri=f"memory://btc-direction/{number}",
        artifact_sha256=hashlib.sha256(artifact).hexdigest(),
        created_at=NOW,
        features=FEATURES,
    )


CONTROL = version(3, CONTROL_ARTIFACT)
CANDIDATE = version(4, CANDIDATE_ARTIFACT)


def experiment(mode: ExperimentMode, share: float = 0.5, seed: str = "seed-1") -> Experiment:
    settings = ExperimentSettings.defaults(mode, seed, traffic_share=share)
    return Experiment(
        id="exp-1",
        name="v3 vs v4",
        mode=mode,
        status=ExperimentStatus.RUNNING,
        model_name="btc-direction",
        control_version=3,
        candidate_version=4,
        config=settings.to_config(),
        created_at=NOW,
    )


class Setup:
    def __init__(self, *, load_candidate: bool = True) -> None:
        self.store = MemoryStore()
        self.clock = ManualClock(NOW)
        self.runtime = MemoryModelRuntime()
        self.log = PredictionLog(self.store, self.clock, batch_size=10_000, capacity=10_000)
        self.service = PredictionService(self.runtime, self.log, self.clock)
        self.load_candidate = load_candidate

    async def load(self) -> Setup:
        await self.runtime.load(CONTROL, CONTROL_ARTIFACT)
        if self.load_candidate:
            await self.runtime.load(CANDIDATE, CANDIDATE_ARTIFACT)
        return self

    async def records(self) -> list[PredictionRecord]:
        await self.log.flush()
        async with self.store.unit_of_work() as uow:
            return await uow.predictions.for_model("btc-direction")


def score(artifact: bytes) -> float:
    model = LinearModel.from_bytes(artifact)
    return model.score(model.columns(ROW))[0]


async def test_a_served_version_answers_and_its_prediction_is_logged_with_every_field() -> None:
    setup = await Setup().load()
    setup.service.serve(CONTROL)
    served = await setup.service.predict("btc-direction", ROW, routing_key="decision-1")
    assert served.outputs == {"probability": (score(CONTROL_ARTIFACT),)}
    assert (served.version, served.arm, served.experiment_id) == (3, None, None)
    [record] = await setup.records()
    assert record.id == served.prediction_id
    assert (record.model_name, record.version, record.experiment_id, record.arm) == (
        "btc-direction",
        3,
        None,
        None,
    )
    assert (record.routing_key, record.acted, record.at, record.bucket) == ("decision-1", True, NOW, None)
    assert record.outputs == {"probability": (score(CONTROL_ARTIFACT),)}
    assert record.latency_seconds >= 0.0


async def test_prediction_ids_are_unique() -> None:
    setup = await Setup().load()
    setup.service.serve(CONTROL)
    ids = {(await setup.service.predict("btc-direction", ROW)).prediction_id for _ in range(500)}
    assert len(ids) == 500


async def test_shadow_mode_acts_on_control_and_logs_the_candidate_unacted() -> None:
    setup = await Setup().load()
    setup.service.start_experiment(experiment(ExperimentMode.SHADOW), CONTROL, CANDIDATE)
    served = await setup.service.predict("btc-direction", ROW, routing_key="decision-7")
    assert served.outputs == {"probability": (score(CONTROL_ARTIFACT),)}
    assert (served.version, served.arm, served.experiment_id) == (3, "control", "exp-1")
    acted, shadow = sorted(await setup.records(), key=lambda r: r.acted, reverse=True)
    assert (acted.id, acted.arm, acted.version, acted.acted) == (served.prediction_id, Arm.CONTROL, 3, True)
    assert (shadow.id, shadow.arm, shadow.version) == (f"{served.prediction_id}/shadow", Arm.CANDIDATE, 4)
    assert shadow.acted is False
    assert shadow.routing_key == acted.routing_key == "decision-7"
    assert shadow.experiment_id == "exp-1"
    assert shadow.outputs == {"probability": (score(CANDIDATE_ARTIFACT),)}


async def test_shadow_outputs_are_never_returned_for_action() -> None:
    setup = await Setup().load()
    setup.service.start_experiment(experiment(ExperimentMode.SHADOW), CONTROL, CANDIDATE)
    served = [await setup.service.predict("btc-direction", ROW, routing_key=f"k{i}") for i in range(200)]
    assert {(s.version, s.arm) for s in served} == {(3, "control")}
    records = await setup.records()
    assert len(records) == 400
    assert {(r.version, r.acted) for r in records} == {(3, True), (4, False)}


async def test_a_failing_shadow_candidate_never_reaches_the_caller() -> None:
    setup = await Setup(load_candidate=False).load()
    setup.service.start_experiment(experiment(ExperimentMode.SHADOW), CONTROL, CANDIDATE)
    served = await setup.service.predict("btc-direction", ROW)
    assert served.version == 3
    assert setup.service.shadow_failures == 1
    assert [r.version for r in await setup.records()] == [3]


async def test_split_mode_serves_the_arm_of_the_routing_keys_bucket() -> None:
    setup = await Setup().load()
    chosen = experiment(ExperimentMode.SPLIT, share=0.3)
    setup.service.start_experiment(chosen, CONTROL, CANDIDATE)
    routed = routing(chosen, ExperimentSettings.from_config(chosen.config))
    for i in range(300):
        served = await setup.service.predict("btc-direction", ROW, routing_key=f"decision-{i}")
        expected = assign(routed, f"decision-{i}")
        assert (served.arm, served.version) == (expected.name, expected.version)
    records = await setup.records()
    assert all(r.acted for r in records)
    assert all(r.bucket == bucket_index("seed-1", r.routing_key or "") / BUCKETS for r in records)


async def test_a_routing_key_always_gets_the_same_arm() -> None:
    setup = await Setup().load()
    setup.service.start_experiment(experiment(ExperimentMode.SPLIT), CONTROL, CANDIDATE)
    arms = {(await setup.service.predict("btc-direction", ROW, routing_key="BTC/USD")).arm for _ in range(50)}
    assert len(arms) == 1


async def test_raising_the_split_share_only_moves_keys_from_control_to_candidate() -> None:
    setup = await Setup().load()
    keys = [f"decision-{i}" for i in range(2_000)]

    async def arms(share: float) -> dict[str, str | None]:
        setup.service.start_experiment(experiment(ExperimentMode.SPLIT, share=share), CONTROL, CANDIDATE)
        return {key: (await setup.service.predict("btc-direction", ROW, routing_key=key)).arm for key in keys}

    before, after = await arms(0.1), await arms(0.3)
    moved = {key for key in keys if before[key] != after[key]}
    assert moved
    assert all(before[key] == "control" and after[key] == "candidate" for key in moved)
    assert sum(arm == "candidate" for arm in after.values()) / len(keys) == pytest.approx(0.3, abs=0.04)


async def test_without_a_routing_key_split_requests_are_spread_by_their_ids() -> None:
    setup = await Setup().load()
    setup.service.start_experiment(experiment(ExperimentMode.SPLIT), CONTROL, CANDIDATE)
    served = [await setup.service.predict("btc-direction", ROW) for _ in range(400)]
    assert 120 < sum(s.arm == "candidate" for s in served) < 280
    records = await setup.records()
    assert all(r.routing_key == r.id for r in records)


async def test_ending_an_experiment_serves_the_winner_alone() -> None:
    setup = await Setup().load()
    setup.service.start_experiment(experiment(ExperimentMode.SPLIT), CONTROL, CANDIDATE)
    setup.service.end_experiment("btc-direction", CANDIDATE)
    served = [await setup.service.predict("btc-direction", ROW) for _ in range(50)]
    assert {(s.version, s.arm, s.experiment_id) for s in served} == {(4, None, None)}


async def test_an_unserved_model_name_is_an_error_naming_it() -> None:
    setup = await Setup().load()
    with pytest.raises(ModelError, match="eth-direction"):
        await setup.service.predict("eth-direction", ROW)


async def test_an_experiment_with_versions_other_than_the_models_given_is_refused() -> None:
    setup = await Setup().load()
    with pytest.raises(InvalidValueError, match="candidate model"):
        setup.service.start_experiment(experiment(ExperimentMode.SHADOW), CONTROL, CONTROL)

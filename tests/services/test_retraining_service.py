"""Retraining service: the policy decides, the sklearn trainer trains, the version is registered with lineage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.adapters.sklearn.trainer import SklearnTrainer, fingerprint
from galfriday.domain.models import ModelStage, TrainedModel, TrainingRequest
from galfriday.domain.retraining_policy import RetrainTrigger
from galfriday.services.model_monitoring import ModelMonitoringService
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.retraining import RegistryRegistrar, RetrainingService
from galfriday.testing.candle_walk import candle_walk

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY = candle_walk(1_500, seed=21, start=T0)
NOW = T0 + timedelta(hours=1_500)


class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.artifacts = MemoryArtifactStore()
        self.clock = ManualClock(NOW)
        self.trainer = SklearnTrainer(self.store, symbol="BTC/USD", interval_seconds=3600, max_trials=1)
        self.registry = ModelRegistry(self.store, self.artifacts, OnnxModelRuntime(), self.clock)
        self.monitoring = ModelMonitoringService(self.store, self.clock, window=timedelta(hours=500))
        self.service = self.retraining(self.trainer)

    def retraining(self, trainer: object) -> RetrainingService:
        return RetrainingService(
            self.store,
            self.clock,
            trainer,  # type: ignore[arg-type]
            RegistryRegistrar(self.registry),
            monitoring=self.monitoring,
            train_period=timedelta(hours=1_200),
        )

    async def candles(self, candles: list[object]) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.candles.upsert_many(candles)  # type: ignore[arg-type]
            await uow.commit()

    async def make_production(self, version: int) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.models.set_stage(
                "btc", version, ModelStage.STAGING, actor="test", reason="gates passed"
            )
            await uow.models.set_stage(
                "btc", version, ModelStage.PRODUCTION, actor="test", reason="canary passed"
            )
            await uow.models.set_alias(
                "btc", "production", version, at=self.clock.now(), actor="test", reason="live"
            )
            await uow.commit()


@pytest.fixture
async def world() -> World:
    w = World()
    await w.candles(HISTORY)
    return w


async def test_a_model_with_no_version_is_trained_and_registered_with_its_lineage(world: World) -> None:
    result = await world.service.run("btc")
    assert result.decision.triggers == (RetrainTrigger.NO_MODEL,)
    version = result.version
    assert version is not None
    assert (version.version, version.parent_version, version.stage) == (1, None, ModelStage.DEVELOPMENT)
    meta = version.metadata
    assert meta["requested_window"] == [(NOW - timedelta(hours=1_200)).isoformat(), NOW.isoformat()]
    assert meta["data_fingerprint"] == fingerprint(HISTORY[300:])
    assert meta["triggers"] == ["no_model"]
    assert meta["registered_by"] == "retraining"
    assert meta["onnx_opset"] == 17
    assert meta["training_run_id"].startswith("train-")
    assert await world.artifacts.get(version.artifact_uri, version.artifact_sha256)


async def test_a_fresh_healthy_production_model_is_left_alone(world: World) -> None:
    await world.service.run("btc")
    await world.make_production(1)
    world.clock.advance(7 * 3600)  # past the cooldown, well inside the max age
    result = await world.service.run("btc")
    assert result.version is None
    assert result.decision.triggers == ()


async def test_drift_after_training_retrains_with_production_as_parent(world: World) -> None:
    await world.service.run("btc")
    await world.make_production(1)
    last = float(HISTORY[-1].close)
    await world.candles(candle_walk(500, seed=22, start=NOW, price=last, volatility=0.03))
    world.clock.advance(500 * 3600)
    result = await world.service.run("btc")
    assert RetrainTrigger.DRIFT in result.decision.triggers
    assert result.version is not None
    assert (result.version.version, result.version.parent_version) == (2, 1)
    assert "data drift alert" in result.version.metadata["registration_reason"]


async def test_the_cooldown_holds_a_second_retrain(world: World) -> None:
    await world.service.run("btc")
    world.clock.advance(3600)
    result = await world.service.run("btc", force=False)
    assert result.version is None
    assert result.decision.blocked_until == NOW + timedelta(hours=6)


async def test_the_cooldown_counts_from_the_newest_version_in_a_fresh_process(world: World) -> None:
    await world.service.run("btc")
    world.clock.advance(3600)
    fresh = world.retraining(world.trainer)
    decision = await fresh.evaluate("btc")
    assert not decision.retrain
    assert decision.blocked_until == NOW + timedelta(hours=6)


class GatedTrainer:
    """The real trainer, started only once the test opens the gate."""

    def __init__(self, inner: SklearnTrainer) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.calls = 0

    async def train(self, request: TrainingRequest) -> TrainedModel:
        self.calls += 1
        self.entered.set()
        await self.gate.wait()
        return await self.inner.train(request)


async def test_only_one_retrain_of_a_model_runs_at_a_time(world: World) -> None:
    gated = GatedTrainer(world.trainer)
    service = world.retraining(gated)
    first = asyncio.create_task(service.run("btc"))
    await gated.entered.wait()  # the first retrain has reached the trainer
    second = await service.run("btc", force=True)
    gated.gate.set()
    assert (await first).version is not None
    assert second.version is None
    assert "already running" in second.decision.reasons[-1]
    assert gated.calls == 1


async def test_force_retrains_without_a_trigger_and_says_so(world: World) -> None:
    await world.service.run("btc")
    await world.make_production(1)
    world.clock.advance(7 * 3600)
    result = await world.service.run("btc", force=True)
    assert result.version is not None
    assert result.version.metadata["registration_reason"].startswith("forced: ")


async def test_with_an_expiration_a_retrained_version_stops_serving_once_expired(world: World) -> None:
    await world.service.run("btc")
    await world.make_production(1)
    world.clock.advance(7 * 3600)
    expiring = RetrainingService(
        world.store,
        world.clock,
        world.trainer,
        RegistryRegistrar(world.registry),
        train_period=timedelta(hours=1_200),
        expiration=timedelta(days=1),
    )
    v2 = (await expiring.run("btc", force=True)).version
    assert v2 is not None
    assert v2.metadata["expires_at"] == (world.clock.now() + timedelta(days=1)).isoformat()
    await world.make_production(2)
    assert (await world.registry.serving_version("btc")).version == 2  # type: ignore[union-attr]
    world.clock.advance(86_400)
    assert (await world.registry.serving_version("btc")).version == 1  # type: ignore[union-attr]


async def test_with_three_drift_checks_one_drifting_window_does_not_retrain(world: World) -> None:
    await world.service.run("btc")
    await world.make_production(1)
    await world.candles(candle_walk(500, seed=22, start=NOW, price=float(HISTORY[-1].close), volatility=0.03))
    world.clock.advance(500 * 3600)
    patient = RetrainingService(
        world.store,
        world.clock,
        world.trainer,
        RegistryRegistrar(world.registry),
        monitoring=world.monitoring,
        drift_checks=3,
    )
    decision = await patient.evaluate("btc")
    assert RetrainTrigger.DRIFT not in decision.triggers
    assert RetrainTrigger.DRIFT in (await world.service.evaluate("btc")).triggers

"""A production alias moved by another process (`galfriday models promote/rollback`) is served by the running
process at its next model check: memory store and artifacts, the real ONNX runtime, two registries over them
(the command line's and the process's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import attrs
import pytest

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.promotion_gates import GatePolicy, HoldoutMetrics
from galfriday.errors import ModelError
from galfriday.runtime.production_following import ProductionFollower
from galfriday.services.experiments import ExperimentService
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog
from galfriday.testing.model_samples import sample_registration

NAME = "btc-direction"
LENIENT = GatePolicy(max_p99_seconds=0.25)
"""Scheduling noise on a shared machine is not under test."""


@attrs.define
class Processes:
    """The command line's registry and, sharing its store and artifacts, a running process's serving side."""

    cli: ModelRegistry
    served: ModelRegistry
    predictions: PredictionService
    follower: ProductionFollower
    clock: ManualClock
    artifacts: MemoryArtifactStore

    async def register(self, seed: int, brier: float) -> int:
        holdout = HoldoutMetrics(holdout_id="h1", brier=brier, log_loss=0.6, hit_rate=0.6)
        registration = sample_registration(NAME, seed=seed, holdout=holdout)
        return (await self.cli.register(registration, actor="alice", reason="retrain")).version

    async def served_version(self) -> int:
        model = await self.cli.get(NAME, 1)
        return (await self.predictions.predict(NAME, {s.name: [0.0] for s in model.features})).version


@pytest.fixture
async def processes() -> AsyncIterator[Processes]:
    clock = ManualClock(datetime(2026, 11, 24, 12, tzinfo=UTC))
    store, artifacts = MemoryStore(), MemoryArtifactStore()
    cli_runtime, process_runtime = OnnxModelRuntime(), OnnxModelRuntime()
    cli = ModelRegistry(store, artifacts, cli_runtime, clock, policy=LENIENT, latency_samples=20)
    served = ModelRegistry(store, artifacts, process_runtime, clock)
    predictions = PredictionService(process_runtime, PredictionLog(store, clock), clock)
    yield Processes(cli, served, predictions, ProductionFollower(served, predictions), clock, artifacts)
    await cli_runtime.close()
    await process_runtime.close()


async def test_a_promotion_from_another_process_is_served_at_the_next_check(processes: Processes) -> None:
    await processes.register(1, brier=0.22)
    await processes.cli.promote(NAME, 1, actor="carol", reason="first")
    assert await processes.follower.follow(NAME) == 1
    await processes.register(2, brier=0.20)
    processes.clock.advance(3600)
    await processes.cli.promote(NAME, 2, actor="carol", reason="lower Brier")

    assert await processes.follower.follow(NAME) == 2
    assert await processes.served_version() == 2


async def test_a_rollback_from_another_process_is_served_at_the_next_check(processes: Processes) -> None:
    await processes.register(1, brier=0.22)
    await processes.cli.promote(NAME, 1, actor="carol", reason="first")
    await processes.register(2, brier=0.20)
    processes.clock.advance(3600)
    await processes.cli.promote(NAME, 2, actor="carol", reason="lower Brier")
    await processes.follower.follow(NAME)
    await processes.cli.rollback(NAME, actor="carol", reason="v2 misbehaves")

    assert await processes.follower.follow(NAME) == 1
    assert await processes.served_version() == 1


async def test_an_unmoved_alias_is_not_loaded_again(processes: Processes) -> None:
    await processes.register(1, brier=0.22)
    await processes.cli.promote(NAME, 1, actor="carol", reason="first")
    processes.follower.served(NAME, 1)  # served at start

    assert await processes.follower.follow(NAME) is None


async def test_nothing_is_served_while_no_version_is_in_production(processes: Processes) -> None:
    await processes.register(1, brier=0.22)

    assert await processes.follower.follow(NAME) is None
    with pytest.raises(ModelError, match="no version of 'btc-direction' is served"):
        await processes.served_version()


async def test_a_promoted_version_whose_artifact_was_tampered_with_is_not_served(
    processes: Processes,
) -> None:
    await processes.register(1, brier=0.22)
    await processes.cli.promote(NAME, 1, actor="carol", reason="first")
    await processes.follower.follow(NAME)
    await processes.register(2, brier=0.20)
    processes.clock.advance(3600)
    await processes.cli.promote(NAME, 2, actor="carol", reason="lower Brier")
    processes.artifacts.tamper((await processes.cli.get(NAME, 2)).artifact_uri, b"evil")

    assert await processes.follower.follow(NAME) is None
    assert await processes.served_version() == 1


async def test_a_moved_alias_waits_while_an_experiment_routes_the_model(processes: Processes) -> None:
    await processes.register(1, brier=0.22)
    await processes.cli.promote(NAME, 1, actor="carol", reason="first")
    await processes.follower.follow(NAME)
    await processes.register(2, brier=0.20)
    await processes.register(3, brier=0.21)
    experiments = ExperimentService(processes.cli.store, processes.clock)
    shadow = await experiments.create("v1 vs v2", NAME, 1, 2)
    processes.predictions.start_experiment(
        shadow, await processes.served.load(NAME, 1), await processes.served.load(NAME, 2)
    )
    processes.clock.advance(3600)
    await processes.cli.promote(NAME, 3, actor="carol", reason="hand-picked")

    assert await processes.follower.follow(NAME) is None
    assert await processes.served_version() == 1
    processes.predictions.end_experiment(NAME, await processes.served.get(NAME, 1))
    assert await processes.follower.follow(NAME) == 3

"""Model registry over a real store: what the registry promises whatever store backs it.

Subclass `ModelRegistryStoreContract` and provide a fixture `store` (a started, empty `Store`) to run the
registry's concurrency, promotion and rollback behaviour on it, with the real ONNX runtime and an in-memory
artifact store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.models import ModelStage
from galfriday.domain.promotion_gates import GatePolicy, HoldoutMetrics
from galfriday.errors import IntegrityError
from galfriday.ports.stores import Store
from galfriday.services.model_registry import ModelRegistry, PromotionRefusedError
from galfriday.testing.model_samples import sample_registration
from galfriday.testing.onnx_models import logistic_pipeline

NAME = "btc-direction"
START = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _scores(brier: float) -> HoldoutMetrics:
    return HoldoutMetrics(holdout_id="h1", brier=brier, log_loss=0.6, hit_rate=0.6)


@pytest.mark.asyncio
class ModelRegistryStoreContract:
    @pytest.fixture
    async def registry(self, store: Store) -> AsyncIterator[ModelRegistry]:
        runtime = OnnxModelRuntime()
        policy = GatePolicy(max_p99_seconds=0.25)  # scheduling noise is not what this suite tests
        yield ModelRegistry(
            store, MemoryArtifactStore(), runtime, ManualClock(START), policy=policy, latency_samples=10
        )
        await runtime.close()

    async def test_concurrent_registrations_are_numbered_without_gaps_or_repeats(
        self, registry: ModelRegistry
    ) -> None:
        pipelines = [logistic_pipeline(3, seed=seed, rows=120) for seed in range(6)]
        registrations = [sample_registration(NAME, pipeline=p, holdout=_scores(0.2)) for p in pipelines]
        registered = await asyncio.wait_for(
            asyncio.gather(*(registry.register(r, actor=f"worker-{i}") for i, r in enumerate(registrations))),
            timeout=60,
        )
        assert sorted(v.version for v in registered) == [1, 2, 3, 4, 5, 6]
        for registration, version in zip(registrations, registered, strict=True):
            stored = await registry.get(NAME, version.version)
            assert stored.artifact_sha256 == version.artifact_sha256
            assert (
                await registry.artifacts.get(stored.artifact_uri, stored.artifact_sha256)
                == registration.artifact
            )

    async def test_promotion_and_rollback_are_recorded_with_who_and_why(
        self, registry: ModelRegistry
    ) -> None:
        first = await registry.register(sample_registration(NAME, seed=1, holdout=_scores(0.22)), actor="a")
        await registry.promote(NAME, first.version, actor="carol", reason="first")
        second = await registry.register(sample_registration(NAME, seed=2, holdout=_scores(0.20)), actor="a")
        await registry.promote(NAME, second.version, actor="carol", reason="better")
        await registry.rollback(NAME, actor="dave", reason="drawdown")
        assert await registry.aliases(NAME) == {"production": 1, "champion": 1}
        assert [v.stage for v in await registry.versions(NAME)] == [
            ModelStage.PRODUCTION,
            ModelStage.ARCHIVED,
        ]
        history = await registry.alias_history(NAME, "production")
        assert [(c.from_version, c.to_version, c.actor, c.reason) for c in history] == [
            (None, 1, "carol", "first"),
            (1, 2, "carol", "better"),
            (2, 1, "dave", "drawdown"),
        ]
        stage_moves = [(c.version, c.to_stage, c.actor) for c in await registry.stage_history(NAME)]
        assert stage_moves[-2:] == [(2, ModelStage.ARCHIVED, "dave"), (1, ModelStage.PRODUCTION, "dave")]

    async def test_a_refused_promotion_leaves_the_store_as_it_was(self, registry: ModelRegistry) -> None:
        await registry.register(sample_registration(NAME, seed=1, holdout=_scores(0.20)), actor="a")
        await registry.promote(NAME, 1, actor="carol", reason="first")
        await registry.register(sample_registration(NAME, seed=2, holdout=_scores(0.25)), actor="a")
        history_before = await registry.stage_history(NAME)
        with pytest.raises(PromotionRefusedError):
            await registry.promote(NAME, 2, actor="carol", reason="worse")
        assert await registry.stage_history(NAME) == history_before
        assert await registry.aliases(NAME) == {"production": 1, "champion": 1}

    async def test_a_rollback_onto_a_tampered_artifact_changes_nothing(self, registry: ModelRegistry) -> None:
        await registry.register(sample_registration(NAME, seed=1, holdout=_scores(0.22)), actor="a")
        await registry.promote(NAME, 1, actor="carol", reason="first")
        await registry.register(sample_registration(NAME, seed=2, holdout=_scores(0.20)), actor="a")
        await registry.promote(NAME, 2, actor="carol", reason="better")
        artifacts = registry.artifacts
        assert isinstance(artifacts, MemoryArtifactStore)
        artifacts.tamper((await registry.get(NAME, 1)).artifact_uri, b"evil")
        with pytest.raises(IntegrityError):
            await registry.rollback(NAME, actor="dave", reason="drawdown")
        assert await registry.aliases(NAME) == {"production": 2, "champion": 2}
        assert [v.stage for v in await registry.versions(NAME)] == [
            ModelStage.ARCHIVED,
            ModelStage.PRODUCTION,
        ]

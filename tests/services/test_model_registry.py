"""The model registry on the memory store and artifact store, with the real ONNX runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.runtime import LinearModel, MemoryModelRuntime
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.domain.model_metadata import ReferenceBatch, VersionMetadata, schema_hash
from galfriday.domain.model_stages import AliasRuleError, ForbiddenStageMove, NoRollbackTarget
from galfriday.domain.models import FeatureSpec, ModelStage
from galfriday.domain.promotion_gates import GatePolicy, HoldoutMetrics
from galfriday.errors import IntegrityError, InvalidValueError, ModelError, NotFoundError
from galfriday.services.model_registry import ModelRegistry, PromotionRefusedError, Registration
from galfriday.testing.model_samples import sample_registration
from galfriday.testing.onnx_models import logistic_pipeline

NAME = "btc-direction"
START = datetime(2026, 11, 24, 12, tzinfo=UTC)
LENIENT = GatePolicy(max_p99_seconds=0.25)
"""Scheduling noise on a shared machine is not under test: one test below checks the latency gate itself."""


def scores(brier: float, holdout_id: str = "h1", hit_rate: float = 0.6) -> HoldoutMetrics:
    return HoldoutMetrics(holdout_id=holdout_id, brier=brier, log_loss=0.6, hit_rate=hit_rate)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def artifacts() -> MemoryArtifactStore:
    return MemoryArtifactStore()


@pytest.fixture
async def registry(clock: ManualClock, artifacts: MemoryArtifactStore) -> AsyncIterator[ModelRegistry]:
    runtime = OnnxModelRuntime()
    yield ModelRegistry(MemoryStore(), artifacts, runtime, clock, policy=LENIENT, latency_samples=20)
    await runtime.close()


async def register(registry: ModelRegistry, seed: int = 7, brier: float = 0.2, **kwargs: object) -> int:
    registration = sample_registration(NAME, seed=seed, holdout=scores(brier), **kwargs)  # type: ignore[arg-type]
    return (await registry.register(registration, actor="alice", reason="weekly retrain")).version


# --- registration ------------------------------------------------------------------------------------


async def test_versions_are_numbered_one_two_three(registry: ModelRegistry) -> None:
    assert [await register(registry, seed) for seed in (1, 2, 3)] == [1, 2, 3]


async def test_a_registered_version_is_in_development_with_its_lineage_and_onnx_versions(
    registry: ModelRegistry,
) -> None:
    await register(registry, 1)
    await register(registry, 2, parent_version=1)
    model = await registry.get(NAME, 2)
    metadata = VersionMetadata.from_json(model.metadata)
    assert model.stage is ModelStage.DEVELOPMENT
    assert model.parent_version == 1
    assert (metadata.artifact_format, metadata.onnx_ir_version, metadata.onnx_opset) == ("onnx", 8, 17)
    assert metadata.schema_hash == schema_hash(model.features)
    assert metadata.data_window_start == datetime(2026, 8, 1, tzinfo=UTC)
    assert metadata.hyperparameters == {"C": 1.0, "seed": 2}
    assert set(metadata.feature_importance) == {"f0", "f1", "f2"}


async def test_registration_is_audited_with_who_and_why(registry: ModelRegistry) -> None:
    await register(registry)
    (change,) = await registry.stage_history(NAME)
    assert (change.version, change.to_stage, change.actor, change.reason) == (
        1,
        ModelStage.DEVELOPMENT,
        "alice",
        "weekly retrain",
    )
    assert change.at == START


async def test_an_artifact_the_runtime_cannot_run_is_refused_and_nothing_is_registered(
    registry: ModelRegistry,
) -> None:
    broken = attrs.evolve(sample_registration(NAME), artifact=b"not an onnx model")
    with pytest.raises(ModelError):
        await registry.register(broken, actor="alice")
    assert await registry.versions(NAME) == []


async def test_a_parent_version_that_does_not_exist_is_refused(registry: ModelRegistry) -> None:
    with pytest.raises(NotFoundError):
        await register(registry, parent_version=4)
    assert await registry.versions(NAME) == []


async def test_a_version_without_features_is_refused(registry: ModelRegistry) -> None:
    with pytest.raises(InvalidValueError, match="features"):
        await registry.register(attrs.evolve(sample_registration(NAME), features=()), actor="alice")


async def test_concurrent_registrations_get_distinct_numbers_and_their_own_artifacts(
    registry: ModelRegistry,
) -> None:
    registrations = [sample_registration(NAME, seed=seed) for seed in range(8)]
    registered = await asyncio.gather(*(registry.register(r, actor="ci") for r in registrations))
    assert sorted(v.version for v in registered) == list(range(1, 9))
    for registration, version in zip(registrations, registered, strict=True):
        assert (
            await registry.artifacts.get(version.artifact_uri, version.artifact_sha256)
            == registration.artifact
        )


async def test_loading_refuses_a_tampered_artifact(
    registry: ModelRegistry, artifacts: MemoryArtifactStore
) -> None:
    await register(registry)
    model = await registry.get(NAME, 1)
    artifacts.tamper(model.artifact_uri, logistic_pipeline(3, seed=99).artifact)
    with pytest.raises(IntegrityError) as caught:
        await registry.load(NAME, 1)
    assert caught.value.expected == model.artifact_sha256


async def test_loading_puts_the_version_in_the_runtime(registry: ModelRegistry) -> None:
    await register(registry)
    model = await registry.load(NAME, 1)
    prediction = await registry.runtime.predict(model, {"f0": [0.1], "f1": [0.2], "f2": [0.3]})
    assert len(prediction.outputs["probabilities"]) == 2


# --- stages and aliases ------------------------------------------------------------------------------


async def test_a_stage_move_the_state_machine_forbids_is_refused(registry: ModelRegistry) -> None:
    await register(registry)
    with pytest.raises(ForbiddenStageMove):
        await registry.set_stage(NAME, 1, ModelStage.PRODUCTION, actor="bob", reason="skip the queue")
    assert (await registry.get(NAME, 1)).stage is ModelStage.DEVELOPMENT


async def test_stage_moves_are_audited(registry: ModelRegistry, clock: ManualClock) -> None:
    await register(registry)
    clock.advance(60)
    await registry.set_stage(NAME, 1, ModelStage.ARCHIVED, actor="bob", reason="superseded")
    change = (await registry.stage_history(NAME))[-1]
    assert (change.from_stage, change.to_stage, change.actor, change.reason, change.at) == (
        ModelStage.DEVELOPMENT,
        ModelStage.ARCHIVED,
        "bob",
        "superseded",
        START + timedelta(seconds=60),
    )


async def test_challenger_may_name_a_staging_version(registry: ModelRegistry) -> None:
    await register(registry)
    await registry.set_stage(NAME, 1, ModelStage.STAGING, actor="bob", reason="offline gates passed")
    change = await registry.set_alias(NAME, "challenger", 1, actor="bob", reason="shadow it")
    assert (change.to_version, change.actor) == (1, "bob")
    assert await registry.aliases(NAME) == {"challenger": 1}


async def test_production_may_not_name_a_development_version(registry: ModelRegistry) -> None:
    await register(registry)
    with pytest.raises(AliasRuleError):
        await registry.set_alias(NAME, "production", 1, actor="bob", reason="")


# --- promotion -----------------------------------------------------------------------------------------


async def test_the_first_promotion_moves_development_through_staging_to_production(
    registry: ModelRegistry,
) -> None:
    await register(registry)
    promotion = await registry.promote(NAME, 1, actor="carol", reason="first model")
    assert promotion.report.passed
    assert (await registry.get(NAME, 1)).stage is ModelStage.PRODUCTION
    assert await registry.aliases(NAME) == {"production": 1, "champion": 1}
    stages = [(c.from_stage, c.to_stage) for c in await registry.stage_history(NAME)]
    assert stages[1:] == [
        (ModelStage.DEVELOPMENT, ModelStage.STAGING),
        (ModelStage.STAGING, ModelStage.PRODUCTION),
    ]


async def test_promoting_a_better_model_archives_the_old_one_and_moves_the_aliases(
    registry: ModelRegistry, clock: ManualClock
) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    await register(registry, 2, brier=0.20)
    clock.advance(3600)
    await registry.promote(NAME, 2, actor="carol", reason="lower Brier")
    assert [v.stage for v in await registry.versions(NAME)] == [ModelStage.ARCHIVED, ModelStage.PRODUCTION]
    history = await registry.alias_history(NAME, "production")
    assert [(c.from_version, c.to_version, c.actor, c.reason) for c in history] == [
        (None, 1, "carol", "first"),
        (1, 2, "carol", "lower Brier"),
    ]


async def test_a_model_worse_than_the_champion_is_refused_and_nothing_changes(
    registry: ModelRegistry,
) -> None:
    await register(registry, 1, brier=0.20)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    await register(registry, 2, brier=0.21)
    with pytest.raises(PromotionRefusedError) as caught:
        await registry.promote(NAME, 2, actor="carol", reason="try")
    assert [r.name for r in caught.value.report.failures] == ["improvement"]
    assert await registry.aliases(NAME) == {"production": 1, "champion": 1}
    assert (await registry.get(NAME, 2)).stage is ModelStage.DEVELOPMENT


async def test_scores_on_a_different_holdout_are_not_compared(registry: ModelRegistry) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    registration = sample_registration(NAME, seed=2, holdout=scores(0.10, holdout_id="h2"))
    await registry.register(registration, actor="alice")
    with pytest.raises(PromotionRefusedError, match="holdouts differ"):
        await registry.promote(NAME, 2, actor="carol", reason="try")


async def test_the_champion_scored_on_the_candidate_holdout_can_be_given(registry: ModelRegistry) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    await registry.register(sample_registration(NAME, seed=2, holdout=scores(0.18, "h2")), actor="alice")
    promotion = await registry.promote(
        NAME, 2, actor="carol", reason="rescored champion", champion_holdout=scores(0.2, "h2")
    )
    assert promotion.report.result("improvement").passed


async def test_a_model_whose_inputs_differ_from_the_serving_features_is_refused(
    registry: ModelRegistry,
) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    pipeline = logistic_pipeline(4, seed=3)
    await registry.register(sample_registration(NAME, pipeline=pipeline, holdout=scores(0.1)), actor="alice")
    with pytest.raises(PromotionRefusedError) as caught:
        await registry.promote(NAME, 2, actor="carol", reason="more features")
    assert [r.name for r in caught.value.report.failures] == ["schema"]


async def test_a_model_that_disagrees_with_its_native_reference_fails_parity(registry: ModelRegistry) -> None:
    registration = sample_registration(NAME, seed=1)
    reference = registration.metadata.reference
    assert reference is not None
    shifted = ReferenceBatch(reference.inputs, [(a + 0.01, b - 0.01) for a, b in reference.outputs])
    wrong = attrs.evolve(registration, metadata=attrs.evolve(registration.metadata, reference=shifted))
    await registry.register(wrong, actor="alice")
    report = await registry.evaluate(NAME, 1)
    assert [r.name for r in report.failures] == ["parity"]


async def test_a_model_slower_than_the_latency_limit_is_refused(clock: ManualClock) -> None:
    runtime = OnnxModelRuntime()
    strict = ModelRegistry(
        MemoryStore(), MemoryArtifactStore(), runtime, clock, policy=GatePolicy(max_p99_seconds=1e-9)
    )
    await register(strict)
    with pytest.raises(PromotionRefusedError) as caught:
        await strict.promote(NAME, 1, actor="carol", reason="first")
    assert [r.name for r in caught.value.report.failures] == ["latency"]
    await runtime.close()


async def test_validate_moves_a_passing_version_to_staging(registry: ModelRegistry) -> None:
    await register(registry)
    report = await registry.validate(NAME, 1, actor="ci", reason="offline gates")
    assert report.passed
    assert (await registry.get(NAME, 1)).stage is ModelStage.STAGING


async def test_validate_leaves_a_failing_version_in_development(registry: ModelRegistry) -> None:
    await register(registry, 1, brier=0.3)  # worse than a coin flip
    report = await registry.validate(NAME, 1, actor="ci")
    assert [r.name for r in report.failures] == ["value"]
    assert (await registry.get(NAME, 1)).stage is ModelStage.DEVELOPMENT


async def test_gates_need_the_holdout_scores_in_the_metadata(registry: ModelRegistry) -> None:
    registration = sample_registration(NAME)
    bare = attrs.evolve(registration, metadata=attrs.evolve(registration.metadata, holdout=None))
    await registry.register(bare, actor="alice")
    with pytest.raises(InvalidValueError, match="holdout"):
        await registry.evaluate(NAME, 1)


async def test_a_tampered_candidate_is_refused_with_an_integrity_error(
    registry: ModelRegistry, artifacts: MemoryArtifactStore
) -> None:
    await register(registry)
    artifacts.tamper((await registry.get(NAME, 1)).artifact_uri, b"evil")
    with pytest.raises(IntegrityError):
        await registry.promote(NAME, 1, actor="carol", reason="first")
    assert await registry.aliases(NAME) == {}


# --- rollback, history, expiry -----------------------------------------------------------------------


async def promoted_twice(registry: ModelRegistry, clock: ManualClock) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    clock.advance(3600)
    await register(registry, 2, brier=0.20)
    await registry.promote(NAME, 2, actor="carol", reason="second")
    clock.advance(3600)


async def test_rollback_returns_production_to_the_previous_version(
    registry: ModelRegistry, clock: ManualClock
) -> None:
    await promoted_twice(registry, clock)
    transition = await registry.rollback(NAME, actor="dave", reason="drawdown")
    assert await registry.aliases(NAME) == {"production": 1, "champion": 1}
    assert [v.stage for v in await registry.versions(NAME)] == [ModelStage.PRODUCTION, ModelStage.ARCHIVED]
    assert {(c.alias, c.from_version, c.to_version) for c in transition.alias_changes} == {
        ("production", 2, 1),
        ("champion", 2, 1),
    }
    last = (await registry.alias_history(NAME, "production"))[-1]
    assert (last.actor, last.reason) == ("dave", "drawdown")


async def test_which_version_was_live_at_an_instant_is_answered(
    registry: ModelRegistry, clock: ManualClock
) -> None:
    await promoted_twice(registry, clock)
    await registry.rollback(NAME, actor="dave", reason="drawdown")
    assert await registry.live_version(NAME, START - timedelta(seconds=1)) is None
    assert await registry.live_version(NAME, START + timedelta(minutes=30)) == 1
    assert await registry.live_version(NAME, START + timedelta(minutes=90)) == 2
    assert await registry.live_version(NAME, clock.now()) == 1


async def test_rollback_without_an_earlier_production_version_is_refused(registry: ModelRegistry) -> None:
    await register(registry)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    with pytest.raises(NoRollbackTarget):
        await registry.rollback(NAME, actor="dave", reason="panic")


async def test_rollback_refuses_a_target_whose_artifact_was_tampered_with(
    registry: ModelRegistry, clock: ManualClock, artifacts: MemoryArtifactStore
) -> None:
    await promoted_twice(registry, clock)
    artifacts.tamper((await registry.get(NAME, 1)).artifact_uri, b"evil")
    with pytest.raises(IntegrityError):
        await registry.rollback(NAME, actor="dave", reason="drawdown")
    assert await registry.aliases(NAME) == {"production": 2, "champion": 2}


async def test_production_serves_until_it_expires(registry: ModelRegistry, clock: ManualClock) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    await register(registry, 2, brier=0.20, expires_at=START + timedelta(days=1))
    await registry.promote(NAME, 2, actor="carol", reason="second")
    served = await registry.serving_version(NAME)
    assert served is not None
    assert served.version == 2


async def test_an_expired_production_version_falls_back_to_the_previous_one(
    registry: ModelRegistry, clock: ManualClock
) -> None:
    await register(registry, 1, brier=0.22)
    await registry.promote(NAME, 1, actor="carol", reason="first")
    await register(registry, 2, brier=0.20, expires_at=START + timedelta(days=1))
    await registry.promote(NAME, 2, actor="carol", reason="second")
    served = await registry.serving_version(NAME, at=START + timedelta(days=1))
    assert served is not None
    assert served.version == 1
    assert await registry.aliases(NAME) == {"production": 2, "champion": 2}


async def test_nothing_serves_once_every_production_version_has_expired(registry: ModelRegistry) -> None:
    await register(registry, 1, brier=0.22, expires_at=START + timedelta(hours=1))
    await registry.promote(NAME, 1, actor="carol", reason="first")
    assert await registry.serving_version(NAME, at=START + timedelta(hours=2)) is None


async def test_nothing_serves_before_a_first_promotion(registry: ModelRegistry) -> None:
    await register(registry)
    assert await registry.serving_version(NAME) is None


# --- any runtime -------------------------------------------------------------------------------------


async def test_the_registry_promotes_on_the_memory_runtime_too(clock: ManualClock) -> None:
    features = (FeatureSpec("x"),)
    model = LinearModel(features=features, weights=(2.0,), bias=-0.5, link="logistic")
    inputs = {"x": [0.0, 0.5, 1.0]}
    native = [[p] for p in model.score([inputs["x"]])]
    registration = Registration(
        name="tiny",
        artifact=model.to_bytes(),
        features=features,
        metadata=VersionMetadata(
            holdout=scores(0.2), reference=ReferenceBatch(inputs, native), probability_output="score"
        ),
    )
    registry = ModelRegistry(
        MemoryStore(), MemoryArtifactStore(), MemoryModelRuntime(), clock, latency_samples=5
    )
    version = await registry.register(registration, actor="alice")
    promotion = await registry.promote("tiny", version.version, actor="carol", reason="first")
    assert promotion.report.passed
    assert VersionMetadata.from_json(version.metadata).onnx_opset is None


# --- artifact retention ------------------------------------------------------------------------------


async def test_pruning_keeps_the_artifacts_of_the_last_three_production_versions(
    registry: ModelRegistry, artifacts: MemoryArtifactStore
) -> None:
    for number in range(1, 6):
        await register(registry, number, brier=0.24 - 0.01 * number)
        await registry.promote(NAME, number, actor="carol", reason=f"v{number}")
    await register(registry, 9)
    await registry.set_stage(NAME, 6, ModelStage.ARCHIVED, actor="bob", reason="abandoned")
    assert await registry.prune_artifacts(NAME) == [1, 2, 6]
    uris = {v.version: v.artifact_uri for v in await registry.versions(NAME)}
    assert [number for number, uri in sorted(uris.items()) if uri in artifacts] == [3, 4, 5]


async def test_a_rollback_target_within_the_kept_versions_still_loads_after_pruning(
    registry: ModelRegistry, clock: ManualClock
) -> None:
    await promoted_twice(registry, clock)
    await registry.prune_artifacts(NAME)
    await registry.rollback(NAME, actor="dave", reason="drawdown")
    assert await registry.aliases(NAME) == {"production": 1, "champion": 1}


async def test_a_pruned_version_no_longer_loads(registry: ModelRegistry) -> None:
    for number in range(1, 5):
        await register(registry, number, brier=0.24 - 0.01 * number)
        await registry.promote(NAME, number, actor="carol", reason=f"v{number}")
    await registry.prune_artifacts(NAME)
    with pytest.raises(NotFoundError):
        await registry.load(NAME, 1)

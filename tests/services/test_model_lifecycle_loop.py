"""The whole model lifecycle on memory stores and the real ONNX runtime.

drift -> retrain -> register -> validate -> shadow -> canary -> promote; and a model that passes every offline
gate but loses live, rolled back automatically by the canary's outcome guardrail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from lifecycle_world import AFTER, HOUR, LIVE, MODEL, SWITCH, T0, LifecycleWorld

from galfriday.domain.canary import CanaryAction, CanaryStatus
from galfriday.domain.experiments import ExperimentMode
from galfriday.domain.models import ModelStage, TrainingRequest
from galfriday.domain.retraining_policy import RetrainTrigger
from galfriday.services.experiments import ExperimentService
from galfriday.services.holdout_scoring import gated_promoter
from galfriday.services.model_registry import PromotionRefusedError
from galfriday.services.retraining import RegistryRegistrar
from galfriday.services.rollout import Rollout

NOW = SWITCH + 1_500 * HOUR


@pytest.fixture
async def world() -> AsyncIterator[LifecycleWorld]:
    """v1 trained on the trend regime and serving in production; the market has since turned."""
    w = LifecycleWorld(SWITCH)
    first = await w.v1_in_production_then_the_switch()
    assert first.decision.triggers == (RetrainTrigger.NO_MODEL,)
    w.predictions.serve(await w.load(1))
    w.clock.set(NOW)
    yield w
    await w.close()


async def canary_every_stage(w: LifecycleWorld, rollout: Rollout) -> list[CanaryAction]:
    actions, sent = [], 600
    for share in (0.05, 0.25, 0.50, 1.00):
        sent += await w.serve(LIVE, sent, int(250 / share) + 50)
        w.clock.advance(3_600)
        actions.append((await w.rollout.step(rollout)).action)
    return actions


async def test_drift_retrain_register_validate_shadow_canary_promote(world: LifecycleWorld) -> None:
    # drift: the features of the last 500 hours no longer look like v1's training data
    report = await world.monitoring.report(MODEL)
    assert report.version == 1
    assert report.drift_alert
    assert {"vol_20", "range_1"} <= set(report.drifting)

    # retrain: the policy sees the drift, the sklearn trainer fits the recent window, the registry records v2
    retrained = await world.retraining.run(MODEL)
    assert RetrainTrigger.DRIFT in retrained.decision.triggers
    v2 = retrained.version
    assert v2 is not None
    assert (v2.version, v2.parent_version, v2.stage) == (2, 1, ModelStage.DEVELOPMENT)
    assert v2.metadata["data_window_end"] == AFTER[1_499].open_time.isoformat()
    assert v2.metadata["training_run_id"].startswith("train-")

    # validate: the champion scored on v2's holdout loses; every gate passes, v2 goes to staging
    champion = await world.scorer.champion_holdout(MODEL, 2)
    assert champion is not None
    assert champion.holdout_id == v2.metadata["holdout"]["holdout_id"]
    assert champion.hit_rate < 0.5 < v2.metadata["holdout"]["hit_rate"]
    # plain floats (they end up in JSON), though the ONNX runtime hands back float32 arrays
    assert {type(champion.brier), type(champion.log_loss), type(champion.hit_rate)} == {float}
    gates = await world.registry.validate(MODEL, 2, actor="pipeline", champion_holdout=champion)
    assert gates.passed, gates.failures
    assert (await world.registry.get(MODEL, 2)).stage is ModelStage.STAGING

    # shadow: v2 scores every live request beside v1; the experiment's verdict starts the canary
    rollouts: list[Rollout] = []

    async def start_canary(model_name: str, version: int, reason: str) -> None:
        rollouts.append(
            await world.rollout.start(model_name, version, reason=reason, champion_holdout=champion)
        )

    shadow_service = ExperimentService(
        world.store, world.clock, promoter=start_canary, prediction_log=world.log
    )
    shadow = await shadow_service.create(
        "shadow-v2",
        MODEL,
        1,
        2,
        mode=ExperimentMode.SHADOW,
        min_outcomes_per_arm=300,
        min_duration_seconds=3_600,
    )
    world.predictions.start_experiment(shadow, await world.load(1), await world.load(2))
    await world.serve(LIVE, 0, 600)
    world.clock.advance(2 * 3_600)
    verdict = await shadow_service.conclude(shadow.id)
    assert (verdict.winner, verdict.promoted) == (2, True)
    (rollout,) = rollouts

    # canary: 5 % -> 25 % -> 50 % -> 100 %, each baked an hour with every guardrail clear, then promoted
    assert await canary_every_stage(world, rollout) == [CanaryAction.ADVANCE] * 3 + [CanaryAction.COMPLETE]
    assert await world.registry.aliases(MODEL) == {"production": 2, "champion": 2}
    assert (await world.registry.get(MODEL, 1)).stage is ModelStage.ARCHIVED
    assert (await world.predictions.predict(MODEL, LIVE[0][0])).version == 2

    # the audit trail tells the whole story of v2
    moves = [
        (c.from_stage, c.to_stage, c.actor)
        for c in await world.registry.stage_history(MODEL)
        if c.version == 2
    ]
    assert moves[0] == (ModelStage.DEVELOPMENT, ModelStage.DEVELOPMENT, "retraining")
    assert (ModelStage.DEVELOPMENT, ModelStage.STAGING, "pipeline") in moves
    assert moves[-1] == (ModelStage.STAGING, ModelStage.PRODUCTION, "rollout")
    live = await world.registry.live_version(MODEL, world.clock.now())
    assert live == 2
    assert await world.registry.live_version(MODEL, NOW) == 1


async def test_a_model_that_passes_offline_gates_but_loses_live_is_rolled_back(world: LifecycleWorld) -> None:
    """v3 is trained by hand on the stale trend window: on its own holdout it beats production (v2, fitted to
    the new regime), so every offline gate passes; live, the outcome guardrail catches it in the first stage."""
    v2 = (await world.retraining.run(MODEL)).version
    assert v2 is not None
    champion = await world.scorer.champion_holdout(MODEL, 2)
    await world.registry.promote(
        MODEL, 2, actor="pipeline", reason="canary passed", champion_holdout=champion
    )
    world.predictions.serve(await world.load(2))

    stale = await world.trainer.train(TrainingRequest(MODEL, T0, SWITCH, parent_version=2))
    v3 = await RegistryRegistrar(world.registry).register(
        stale, parent_version=2, metadata={}, actor="analyst", reason="trend model"
    )
    champion_on_v3 = await world.scorer.champion_holdout(MODEL, v3.version)
    assert (await world.registry.validate(MODEL, 3, actor="pipeline", champion_holdout=champion_on_v3)).passed
    await world.load(3)

    rollout = await world.rollout.start(MODEL, 3, reason="gates passed", champion_holdout=champion_on_v3)
    await world.serve(LIVE, 0, 3_000)
    step = await world.rollout.step(rollout)

    assert step.action is CanaryAction.ROLLBACK
    assert [g.name for g in step.guardrails if g.tripped] == ["outcome"]
    assert rollout.state.status is CanaryStatus.ROLLED_BACK
    assert await world.registry.aliases(MODEL) == {"production": 2, "champion": 2}
    assert (await world.registry.get(MODEL, 3)).stage is ModelStage.ARCHIVED
    assert {(await world.predictions.predict(MODEL, LIVE[i][0])).version for i in range(100)} == {2}
    archived = [c for c in await world.registry.stage_history(MODEL) if c.version == 3][-1]
    assert (archived.to_stage, archived.actor) == (ModelStage.ARCHIVED, "rollout")
    assert "outcome mean" in archived.reason


async def test_the_gated_promoter_compares_a_retrained_version_with_the_champion_on_its_own_holdout(
    world: LifecycleWorld,
) -> None:
    """Two candle-trained versions have different holdouts: promoting v2 as-is is refused ("holdouts differ"),
    while the experiments' promoter scores v1 on v2's holdout first and so can promote it."""
    retrained = (await world.retraining.run(MODEL)).version
    assert retrained is not None
    assert retrained.version == 2
    with pytest.raises(PromotionRefusedError):
        await world.registry.promote(MODEL, 2, actor="test", reason="without the champion's scores")

    await gated_promoter(world.registry, "experiments")(MODEL, 2, "won its shadow experiment")

    assert (await world.registry.aliases(MODEL))["production"] == 2

"""Rollout service: a staged canary against production, promoted when every stage bakes clean, rolled back
automatically when a guardrail trips; every step audited in the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import numpy as np
import pytest
from lifecycle_world import HOUR, LIVE, MODEL, SWITCH, LifecycleWorld, plan
from onnx import TensorProto, helper

from galfriday.domain.canary import CanaryAction, CanaryPlan, CanaryStatus
from galfriday.domain.candle_features import FEATURE_NAMES
from galfriday.domain.experiments import ExperimentStatus
from galfriday.domain.model_metadata import VersionMetadata
from galfriday.domain.models import FeatureSpec, ModelStage
from galfriday.errors import InvalidValueError
from galfriday.services.model_registry import Registration
from galfriday.services.rollout import Rollout

NOW = SWITCH + 1_500 * HOUR


@pytest.fixture
async def world() -> AsyncIterator[LifecycleWorld]:
    """v1 (trained before the switch) in production; v2 (trained after it) validated into staging."""
    w = LifecycleWorld(SWITCH)
    await w.v1_in_production_then_the_switch()
    w.clock.set(NOW)
    await w.retraining.run(MODEL)
    champion = await w.scorer.champion_holdout(MODEL, 2)
    assert (await w.registry.validate(MODEL, 2, actor="test", champion_holdout=champion)).passed
    w.champion_holdout = champion
    await w.load(1)
    await w.load(2)
    yield w
    await w.close()


async def start(w: LifecycleWorld, version: int = 2) -> Rollout:
    return await w.rollout.start(
        MODEL,
        version,
        reason="shadow won",
        champion_holdout=w.champion_holdout,
    )


async def test_start_routes_the_first_share_and_names_the_challenger(world: LifecycleWorld) -> None:
    rollout = await start(world)
    assert rollout.state.share == 0.05
    assert (await world.registry.aliases(MODEL)).get("challenger") == 2
    await world.serve(LIVE, 0, 2_000)
    async with world.store.unit_of_work() as uow:
        records = await uow.predictions.for_experiment(rollout.experiment.id)
    share = sum(r.version == 2 for r in records) / len(records)
    assert share == pytest.approx(0.05, abs=0.02)  # 4 standard errors
    notes = [c for c in await world.registry.stage_history(MODEL) if c.actor == "rollout"]
    assert notes[-1].reason.startswith("canary stage 1 of 4: 5% of traffic")


async def test_a_candidate_not_in_staging_cannot_start_a_canary(world: LifecycleWorld) -> None:
    with pytest.raises(InvalidValueError, match="staging"):
        await start(world, version=1)


async def test_a_stage_holds_until_it_has_baked(world: LifecycleWorld) -> None:
    rollout = await start(world)
    await world.serve(LIVE, 0, 5_000)
    world.clock.advance(30 * 60)
    step = await world.rollout.step(rollout)
    assert step.action is CanaryAction.HOLD
    assert rollout.state.share == 0.05


async def test_growing_the_share_only_moves_keys_from_control_to_the_canary(world: LifecycleWorld) -> None:
    rollout = await start(world)
    keys = [f"decision-{i}" for i in range(2_000)]

    async def arms() -> dict[str, int]:
        served = {}
        for key in keys:
            served[key] = (await world.predictions.predict(MODEL, LIVE[0][0], routing_key=key)).version
        return served

    before = await arms()
    await world.serve(LIVE, 0, 5_500)
    world.clock.advance(3_600)
    assert (await world.rollout.step(rollout)).action is CanaryAction.ADVANCE
    after = await arms()
    assert all(after[k] == 2 for k in keys if before[k] == 2)
    assert sum(v == 2 for v in after.values()) > sum(v == 2 for v in before.values())


async def bake_every_stage(world: LifecycleWorld, rollout: Rollout) -> list[CanaryAction]:
    actions, sent = [], 0
    for share in (0.05, 0.25, 0.50, 1.00):
        sent += await world.serve(LIVE, sent, int(250 / share) + 50)
        world.clock.advance(3_600)
        actions.append((await world.rollout.step(rollout)).action)
    return actions


async def test_a_clean_canary_advances_stage_by_stage_and_promotes(world: LifecycleWorld) -> None:
    rollout = await start(world)
    actions = await bake_every_stage(world, rollout)
    assert actions == [CanaryAction.ADVANCE] * 3 + [CanaryAction.COMPLETE]
    assert rollout.state.status is CanaryStatus.COMPLETED
    assert await world.registry.aliases(MODEL) == {"production": 2, "champion": 2}
    assert (await world.registry.get(MODEL, 1)).stage is ModelStage.ARCHIVED
    assert (await world.predictions.predict(MODEL, LIVE[0][0])).version == 2
    assert rollout.experiment.status is ExperimentStatus.CONCLUDED
    assert rollout.experiment.conclusion is not None
    assert rollout.experiment.conclusion["action"] == "promoted"


async def test_every_canary_step_is_audited_with_actor_and_reason(world: LifecycleWorld) -> None:
    rollout = await start(world)
    await bake_every_stage(world, rollout)
    notes = [
        c.reason for c in await world.registry.stage_history(MODEL) if c.actor == "rollout" and c.version == 2
    ]
    assert [n.split(":")[0] for n in notes] == [
        "canary stage 1 of 4",
        "canary stage 2 of 4",
        "canary stage 3 of 4",
        "canary stage 4 of 4",
        "canary completed",
    ]
    production = [c for c in await world.registry.alias_history(MODEL, "production") if c.actor == "rollout"]
    assert [(c.from_version, c.to_version) for c in production] == [(1, 2)]
    assert "stage 4 at 100% baked" in production[0].reason


async def test_each_split_stage_has_its_own_experiment_with_its_share_and_the_same_seed(
    world: LifecycleWorld,
) -> None:
    rollout = await start(world)
    await bake_every_stage(world, rollout)
    canaries = [e for e in await world.experiments.list_experiments() if e.name.startswith("canary-")]
    assert [e.config["traffic_share"] for e in canaries] == [0.05, 0.25, 0.50]
    assert {e.config["seed"] for e in canaries} == {"canary:btc:v2"}
    assert [e.conclusion["action"] for e in canaries if e.conclusion] == ["advanced", "advanced", "promoted"]


async def test_the_experiments_periodic_conclusion_leaves_a_canary_running(world: LifecycleWorld) -> None:
    rollout = await start(world)
    await world.serve(LIVE, 0, 5_000)
    world.clock.advance(30 * 86_400)
    verdicts = await world.experiments.conclude_running()
    assert [v.experiment.status for v in verdicts] == [ExperimentStatus.RUNNING]
    assert (await world.rollout.step(rollout)).action is CanaryAction.ADVANCE


def invalid_probabilities_model() -> bytes:
    """'probabilities' = features @ w: an unbounded score where probabilities are expected."""
    k = len(FEATURE_NAMES)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["features", "w"], ["probabilities"])],
        "unbounded",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        initializer=[helper.make_tensor("w", TensorProto.FLOAT, [k, 2], np.full(2 * k, 40.0).tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    artifact: bytes = model.SerializeToString()
    return artifact


def slow_model(layers: int = 500, width: int = 1_024) -> bytes:
    """Valid probabilities from a tiny logistic model, after `layers` wasted width x width matrix products
    whose (zero) result is added in, so the runtime cannot skip them: tens of milliseconds per row."""
    k = len(FEATURE_NAMES)
    nodes = [
        helper.make_node("MatMul", ["features", "w"], ["z"]),
        helper.make_node("MatMul", ["features", "spread"], ["h0"]),
    ]
    nodes += [helper.make_node("MatMul", [f"h{i}", "square"], [f"h{i + 1}"]) for i in range(layers)]
    nodes += [
        helper.make_node("ReduceSum", [f"h{layers}"], ["total"], keepdims=1),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("Add", ["z", "nothing"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p"]),
        helper.make_node("Sub", ["one", "p"], ["q"]),
        helper.make_node("Concat", ["q", "p"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "slow",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
        initializer=[
            helper.make_tensor("w", TensorProto.FLOAT, [k, 1], [0.1] * k),
            helper.make_tensor("spread", TensorProto.FLOAT, [k, width], np.zeros(k * width).tolist()),
            helper.make_tensor("square", TensorProto.FLOAT, [width, width], np.zeros(width * width).tolist()),
            helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]),
            helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    artifact: bytes = model.SerializeToString()
    return artifact


async def broken_candidate(world: LifecycleWorld, artifact: bytes | None = None) -> int:
    """A staging version whose outputs are not probabilities (moved to staging by hand, no gates)."""
    features = tuple(FeatureSpec(name) for name in FEATURE_NAMES)
    registration = Registration(MODEL, artifact or invalid_probabilities_model(), features, VersionMetadata())
    version = await world.registry.register(registration, actor="test", reason="broken on purpose")
    await world.registry.set_stage(MODEL, version.version, ModelStage.STAGING, actor="test", reason="by hand")
    await world.load(version.version)
    return version.version


async def test_invalid_outputs_roll_the_canary_back_by_the_error_sprt(world: LifecycleWorld) -> None:
    broken = await broken_candidate(world)
    rollout = await start(world, broken)
    await world.serve(LIVE, 0, 400)
    step = await world.rollout.step(rollout)
    assert step.action is CanaryAction.ROLLBACK
    assert "SPRT error rate" in step.reasons[0]
    assert rollout.state.status is CanaryStatus.ROLLED_BACK
    assert await world.registry.aliases(MODEL) == {"production": 1, "champion": 1}
    assert (await world.registry.get(MODEL, broken)).stage is ModelStage.ARCHIVED
    assert {(await world.predictions.predict(MODEL, LIVE[i][0])).version for i in range(200)} == {1}
    assert rollout.experiment.status is ExperimentStatus.STOPPED
    challenger = (await world.registry.alias_history(MODEL, "challenger"))[-1]
    assert (challenger.to_version, challenger.actor) == (None, "rollout")
    assert challenger.reason.startswith("canary rolled back at 5%")


async def test_reported_inference_failures_count_as_errors(world: LifecycleWorld) -> None:
    rollout = await start(world)
    for _ in range(3):
        world.evidence.record_failure(MODEL, 2, world.clock.now())
    step = await world.rollout.step(rollout)
    assert step.action is CanaryAction.ROLLBACK
    assert "3 errors in 3" in step.reasons[0]


async def test_run_waits_on_the_clock_and_stops_once_the_canary_is_rolled_back(world: LifecycleWorld) -> None:
    broken = await broken_candidate(world)
    rollout = await start(world, broken)
    started = world.clock.now()
    await world.serve(LIVE, 0, 400)
    step = await world.rollout.run(rollout)
    assert step.action is CanaryAction.ROLLBACK
    assert world.clock.now() - started == world.rollout.poll_seconds * HOUR / 3_600


async def test_a_candidate_slower_than_twice_the_control_for_five_minutes_is_rolled_back(
    world: LifecycleWorld,
) -> None:
    slow = await broken_candidate(world, slow_model())
    # the default plan: latency p99 over 2x the control's, sustained 5 minutes, rolls back
    strict = world.rollout_with(CanaryPlan.default())
    rollout = await strict.start(MODEL, slow, reason="fast offline, slow live")
    await world.serve(LIVE, 0, 1_400)
    first = await strict.step(rollout)
    assert first.action is CanaryAction.HOLD
    assert "above 2.0x control" in first.guardrails[1].reason
    assert "not yet for 0:05:00" in first.guardrails[1].reason
    world.clock.advance(5 * 60)
    second = await strict.step(rollout)
    assert second.action is CanaryAction.ROLLBACK
    assert [g.name for g in second.guardrails if g.tripped] == ["latency"]
    assert await world.registry.aliases(MODEL) == {"production": 1, "champion": 1}


async def test_a_promotion_the_gates_refuse_at_the_end_becomes_a_rollback(world: LifecycleWorld) -> None:
    """Without the champion's scores on the candidate's holdout the improvement gate cannot compare the two,
    so the registry refuses the promotion; the canary must not leave the candidate serving everything."""
    rollout = await world.rollout.start(MODEL, 2, reason="no champion scores")
    actions = await bake_every_stage(world, rollout)
    assert actions == [CanaryAction.ADVANCE] * 3 + [CanaryAction.ROLLBACK]
    assert "failed the promotion gates" in rollout.steps[-1].reasons[0]
    assert rollout.state.status is CanaryStatus.ROLLED_BACK
    assert await world.registry.aliases(MODEL) == {"production": 1, "champion": 1}
    assert (await world.registry.get(MODEL, 2)).stage is ModelStage.ARCHIVED
    assert {(await world.predictions.predict(MODEL, LIVE[i][0])).version for i in range(100)} == {1}


async def test_a_realised_drawdown_above_the_limit_rolls_back(world: LifecycleWorld) -> None:
    strict = world.rollout_with(plan(max_drawdown=Decimal("2.5")))
    rollout = await strict.start(MODEL, 2, reason="drawdown limit", champion_holdout=world.champion_holdout)
    await world.serve(LIVE, 0, 5_000, stake=Decimal(1))  # ~250 candidate trades at ~62 % wins: losing streaks happen
    step = await strict.step(rollout)
    assert step.action is CanaryAction.ROLLBACK
    assert [g.name for g in step.guardrails if g.tripped] == ["drawdown"]
    assert step.reasons[0].startswith("drawdown ")
    assert step.reasons[0].endswith("above the limit 2.5")

"""The automated pipeline: ticks alone take a model from nothing to a drift-driven successor in production."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from lifecycle_world import AFTER, BEFORE, HOUR, LIVE, MODEL, SWITCH, LifecycleWorld

from galfriday.domain.models import ModelStage
from galfriday.services.model_pipeline import ModelPipeline

NOW = SWITCH + 1_500 * HOUR


@pytest.fixture
async def world() -> AsyncIterator[LifecycleWorld]:
    w = LifecycleWorld(SWITCH)
    await w.add_candles(BEFORE)
    yield w
    await w.close()


def pipeline(w: LifecycleWorld) -> ModelPipeline:
    return ModelPipeline(
        w.registry,
        w.retraining,
        w.scorer,
        w.experiments,
        w.predictions,
        w.rollout,
        shadow_settings={"min_outcomes_per_arm": 300, "min_duration_seconds": 3_600},
    )


async def test_the_first_version_is_trained_validated_and_promoted_in_one_tick(world: LifecycleWorld) -> None:
    report = await pipeline(world).tick(MODEL)
    assert report.actions[0].startswith("v1 trained: btc: retrain (no production version to serve)")
    assert report.actions[-1] == "v1 promoted as the first version"
    assert (await world.registry.aliases(MODEL))["production"] == 1
    assert (await world.predictions.predict(MODEL, LIVE[0][0])).version == 1


async def test_a_healthy_model_is_left_alone(world: LifecycleWorld) -> None:
    driver = pipeline(world)
    await driver.tick(MODEL)
    world.clock.advance(7 * 3_600)
    assert (await driver.tick(MODEL)).actions == (
        "btc: no retrain (no trigger: no drift, no degradation, model not stale)",
    )


async def test_ticks_take_a_drifted_model_through_shadow_and_canary_to_a_new_production(
    world: LifecycleWorld,
) -> None:
    driver = pipeline(world)
    await driver.tick(MODEL)
    await world.add_candles(AFTER[:1_500])
    world.clock.set(NOW)

    retrained = await driver.tick(MODEL)
    assert "data drift alert" in retrained.actions[0]
    assert retrained.actions[-1] == "v2 validated into staging; shadow shadow-btc-v2 started"

    await world.serve(LIVE, 0, 200)
    assert (await driver.tick(MODEL)).actions == ("shadow shadow-btc-v2: still collecting",)
    await world.serve(LIVE, 200, 400)
    world.clock.advance(2 * 3_600)
    assert (await driver.tick(MODEL)).actions[0].endswith("won: canary of v2 started")

    sent, actions = 600, []
    for share in (0.05, 0.25, 0.50, 1.00):
        sent += await world.serve(LIVE, sent, int(250 / share) + 50)
        world.clock.advance(3_600)
        actions.append((await driver.tick(MODEL)).actions[0])
    assert [a.split(":")[0] for a in actions] == [
        "v2 canary advance at 25%",
        "v2 canary advance at 50%",
        "v2 canary advance at 100%",
        "v2 promoted",
    ]
    assert await world.registry.aliases(MODEL) == {"production": 2, "champion": 2}
    assert (await world.registry.get(MODEL, 1)).stage is ModelStage.ARCHIVED
    assert driver.canaries == {}
    assert driver.shadows == {}

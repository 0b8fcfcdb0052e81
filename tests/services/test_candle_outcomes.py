"""Candle outcomes: a production model's misses rebuilt from the window's candles, for degradation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from lifecycle_world import HOUR, MODEL, SWITCH, LifecycleWorld

from galfriday.services.candle_outcomes import CandleOutcomes
from galfriday.services.model_monitoring import ModelMonitoringService


@pytest.fixture
async def world() -> AsyncIterator[LifecycleWorld]:
    """v1 trained on the trend regime, in production; the mean-reverting regime's candles stored after it."""
    w = LifecycleWorld(SWITCH)
    await w.v1_in_production_then_the_switch()
    yield w
    await w.close()


async def test_one_outcome_per_bar_whose_label_is_known(world: LifecycleWorld) -> None:
    v1 = await world.registry.get(MODEL, 1)
    errors = await CandleOutcomes(world.registry).errors(v1, SWITCH, SWITCH + 300 * HOUR)
    assert len(errors) == 299  # the last bar's next close is outside the window
    assert set(errors) == {0.0, 1.0}


async def test_a_window_wholly_after_the_change_raises_the_rolling_alarm(world: LifecycleWorld) -> None:
    """Page-Hinkley looks for a rise within the stream, and this one is bad from its first bar; the rolling
    error rate against the validation one sees it."""
    world.clock.set(SWITCH + 1_500 * HOUR)
    monitoring = ModelMonitoringService(
        world.store, world.clock, window=1_000 * HOUR, outcomes=CandleOutcomes(world.registry)
    )
    report = await monitoring.report(MODEL)
    assert report.degradation is not None
    assert report.degradation.recent_error_rate is not None
    assert report.degradation.recent_error_rate > 0.55
    assert report.degradation.rolling_alarm
    assert report.degradation_alert


async def test_a_window_spanning_the_change_raises_the_page_hinkley_alarm(world: LifecycleWorld) -> None:
    world.clock.set(SWITCH + 1_000 * HOUR)
    monitoring = ModelMonitoringService(
        world.store, world.clock, window=1_500 * HOUR, outcomes=CandleOutcomes(world.registry)
    )
    report = await monitoring.report(MODEL)
    assert report.degradation is not None
    assert report.degradation.alarm


async def test_the_same_model_on_its_own_regime_is_not_degraded(world: LifecycleWorld) -> None:
    world.clock.set(SWITCH)
    monitoring = ModelMonitoringService(
        world.store, world.clock, window=600 * HOUR, outcomes=CandleOutcomes(world.registry)
    )
    report = await monitoring.report(MODEL)
    assert report.degradation is not None
    assert not report.degradation_alert

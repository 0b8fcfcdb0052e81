"""Model monitoring on the memory store: drift of stored candles' features against the training reference."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.candle_features import candle_features
from galfriday.domain.drift.reference import TrainingReference
from galfriday.domain.drift.report import DriftMethod
from galfriday.domain.experiments import Arm, Experiment, ExperimentMode, ExperimentOutcome, ExperimentStatus
from galfriday.domain.market_data import Candle
from galfriday.errors import ModelError, NotFoundError
from galfriday.services.model_monitoring import ModelMonitoringService, sustained_drift
from galfriday.testing.candle_walk import candle_walk

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = 3600
SHA = "a" * 64
TRAIN = candle_walk(2_000, seed=1, start=T0)
TRAIN_END = T0 + timedelta(hours=2_000)


def recent(volatility: float, n: int = 1_000, seed: int = 2) -> list[Candle]:
    """Candles right after the training data, continuing from its last close."""
    last = float(TRAIN[-1].close)
    return candle_walk(n, seed=seed, start=TRAIN_END, price=last, volatility=volatility)


async def world(
    after: list[Candle], metadata: dict[str, object] | None = None
) -> tuple[MemoryStore, ManualClock]:
    store = MemoryStore()
    reference = TrainingReference.from_columns(candle_features(TRAIN).columns)
    meta = {"symbol": "BTC/USD", "interval_seconds": HOUR, "training_reference": reference.to_document()}
    meta.update(metadata or {})
    async with store.unit_of_work() as uow:
        await uow.candles.upsert_many([*TRAIN, *after])
        await uow.models.register(
            name="btc", artifact_uri="mem://1", artifact_sha256=SHA, created_at=T0, metadata=meta
        )
        await uow.commit()
    end = after[-1].open_time + timedelta(hours=1) if after else TRAIN_END
    return store, ManualClock(end)


async def test_a_window_like_the_training_data_raises_no_alert() -> None:
    store, clock = await world(recent(0.01))
    report = await ModelMonitoringService(store, clock, window=timedelta(hours=1_000)).report("btc")
    assert report.rows == 1_000
    assert {f.method for f in report.features} == {DriftMethod.PSI}
    assert not report.drift_alert


async def test_tripled_volatility_is_a_dataset_drift_alert() -> None:
    store, clock = await world(recent(0.03))
    report = await ModelMonitoringService(store, clock, window=timedelta(hours=1_000)).report("btc")
    assert report.drift_alert
    assert {"vol_20", "range_1"} <= set(report.drifting)


async def test_a_window_under_500_rows_is_judged_by_ks() -> None:
    store, clock = await world(recent(0.03, n=300))
    report = await ModelMonitoringService(store, clock, window=timedelta(hours=300)).report("btc")
    assert report.rows == 300
    assert {f.method for f in report.features} == {DriftMethod.KS}
    assert report.drift_alert


async def test_the_window_starts_with_full_feature_history() -> None:
    """The first bars of the window use the bars before it, so no row is lost to the warm-up."""
    store, clock = await world(recent(0.01, n=100))
    report = await ModelMonitoringService(store, clock, window=timedelta(hours=100)).report("btc")
    assert report.rows == 100


async def add_outcomes(store: MemoryStore, misses: list[float]) -> None:
    experiment = Experiment(
        "exp-1", "shadow-1", ExperimentMode.SHADOW, ExperimentStatus.RUNNING, "btc", 1, 2, {}, T0
    )
    async with store.unit_of_work() as uow:
        await uow.experiments.create(experiment)
        await uow.experiments.add_outcomes(
            ExperimentOutcome(
                "exp-1", f"p-{i}", Arm.CONTROL, 1, None, {"hit": 1.0 - miss}, T0 + timedelta(seconds=i)
            )
            for i, miss in enumerate(misses)
        )
        await uow.commit()


async def test_a_rising_miss_rate_in_resolved_outcomes_is_a_degradation_alarm() -> None:
    store, clock = await world(recent(0.01), {"metrics": {"validation": {"hit_rate": 0.55}}})
    rng = random.Random(5)
    await add_outcomes(store, [float(rng.random() < (0.45 if i < 1_500 else 0.65)) for i in range(3_000)])
    report = await ModelMonitoringService(store, clock).report("btc")
    assert report.degradation is not None
    assert report.degradation_alert
    assert report.degradation.outcomes == 3_000
    assert report.degradation.validation_error_rate == pytest.approx(0.45)


async def test_a_steady_miss_rate_raises_no_degradation_alarm() -> None:
    store, clock = await world(recent(0.01))
    rng = random.Random(6)
    await add_outcomes(store, [float(rng.random() < 0.45) for _ in range(3_000)])
    assert not (await ModelMonitoringService(store, clock).report("btc")).degradation_alert


async def test_the_production_version_is_reported_by_default() -> None:
    store, clock = await world(recent(0.01))
    async with store.unit_of_work() as uow:
        await uow.models.register(name="btc", artifact_uri="mem://2", artifact_sha256=SHA, created_at=T0)
        await uow.models.set_alias("btc", "production", 1, at=T0, actor="test", reason="live")
        await uow.commit()
    assert (await ModelMonitoringService(store, clock).report("btc")).version == 1


async def test_a_version_without_a_training_reference_cannot_be_monitored() -> None:
    store, clock = await world(recent(0.01), {"training_reference": None})
    with pytest.raises(ModelError, match="training_reference"):
        await ModelMonitoringService(store, clock).report("btc")


async def test_an_unknown_model_is_not_found() -> None:
    store, clock = await world(recent(0.01))
    with pytest.raises(NotFoundError):
        await ModelMonitoringService(store, clock).report("eth")


async def test_consecutive_windows_end_one_window_apart_oldest_first() -> None:
    store, clock = await world(recent(0.01, n=900))
    service = ModelMonitoringService(store, clock, window=timedelta(hours=300))
    reports = await service.reports("btc", checks=3)
    assert [r.at for r in reports] == [
        clock.now() - timedelta(hours=600),
        clock.now() - timedelta(hours=300),
        clock.now(),
    ]
    assert [r.rows for r in reports] == [300, 300, 300]


async def test_drift_is_sustained_only_when_every_window_alerts() -> None:
    calm = recent(0.01, n=600)
    wild = candle_walk(
        300,
        seed=9,
        start=calm[-1].open_time + timedelta(hours=1),
        price=float(calm[-1].close),
        volatility=0.03,
    )
    store, clock = await world([*calm, *wild])
    service = ModelMonitoringService(store, clock, window=timedelta(hours=300))
    reports = await service.reports("btc", checks=3)
    assert [r.drift_alert for r in reports] == [False, False, True]
    assert not sustained_drift(reports)
    assert sustained_drift(reports[-1:])

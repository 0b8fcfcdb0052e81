"""The model lifecycle in the runtime: on schedule, each watched model takes one step of the automated pipeline.
A model with no version is trained from the store's candles (scikit-learn, exported to ONNX), validated by
every promotion gate and promoted as the first version; the runtime then serves it, and the retraining decision
is on /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runtime_fixtures import memory_config
from runtime_waiting import eventually

from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.app import App
from galfriday.config import Config, ModelsConfig
from galfriday.runtime.process import Runtime
from galfriday.testing.candle_walk import candle_walk

MODEL = "btc"


def lifecycle_config() -> Config:
    models = ModelsConfig(
        runtime="onnx",
        artifact_store="memory",
        trainer="sklearn",
        settings={"symbol": "BTC/USD", "interval_seconds": 3600, "max_trials": 1},
    )
    return memory_config(models=MODEL).with_overrides(models=models)


async def test_a_watched_model_without_a_version_is_trained_validated_promoted_and_served() -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    notifier = MemoryNotifier()
    async with App.from_config(lifecycle_config(), overrides={"notifier": notifier}) as app:
        async with app.store.unit_of_work() as uow:
            await uow.candles.upsert_many(candle_walk(1_500, seed=31, start=now - timedelta(hours=1_500)))
            await uow.commit()
        runtime = Runtime(app)
        await runtime.start()
        try:
            checks = runtime.model_checks
            assert checks is not None
            await eventually(lambda: MODEL in checks.reports, "the first pipeline step", within=120)
            actions = checks.reports[MODEL].actions
            async with app.store.unit_of_work() as uow:
                production = await uow.models.alias(MODEL, "production")
                first = await uow.models.get(MODEL, 1)
            assert first is not None
            features = {spec.name: [0.0] for spec in first.features}
            served = await runtime.predictions.predict(MODEL, features)
        finally:
            await runtime.stop(10)
    assert actions[0].startswith("v1 trained")
    assert actions[-1] == "v1 promoted as the first version"
    assert production == 1
    assert served.version == 1
    assert [a.title for a in notifier.alerts] == [f"model {MODEL}: retraining triggered (no_model)"]
    registry = runtime.metrics.registry
    assert (
        registry.get_sample_value(
            "galfriday_retrain_decisions_total", {"model": MODEL, "decision": "retrain"}
        )
        == 1
    )
    assert (
        registry.get_sample_value("galfriday_retrain_triggers_total", {"model": MODEL, "trigger": "no_model"})
        == 1
    )
    assert (
        registry.get_sample_value("galfriday_job_runs_total", {"job": "model-checks", "outcome": "success"})
        == 1
    )


async def test_after_a_restart_the_production_version_is_served_from_the_start() -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    async with App.from_config(lifecycle_config()) as app:
        async with app.store.unit_of_work() as uow:
            await uow.candles.upsert_many(candle_walk(1_500, seed=31, start=now - timedelta(hours=1_500)))
            await uow.commit()
        first = Runtime(app)
        await first.start()
        checks = first.model_checks
        assert checks is not None
        await eventually(lambda: MODEL in checks.reports, "the first version promoted", within=120)
        await first.stop(10)

        restarted = Runtime(app)
        await restarted.start()  # no pipeline step needed: production is served at start
        try:
            async with app.store.unit_of_work() as uow:
                version = await uow.models.get(MODEL, 1)
            assert version is not None
            served = await restarted.predictions.predict(MODEL, {s.name: [0.0] for s in version.features})
        finally:
            await restarted.stop(10)
    assert served.version == 1


async def test_no_model_checks_run_when_no_model_is_watched() -> None:
    async with App.from_config(memory_config()) as app:
        runtime = Runtime(app)
        assert runtime.model_checks is None
        assert "model-checks" not in runtime.supervisor.states()

"""Predictions served through the runtime are stored (flushed at shutdown at the latest) and their latency is
on /metrics by model."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from runtime_fixtures import running_runtime

from galfriday.adapters.memory.runtime import LinearModel
from galfriday.domain.models import FeatureSpec, ModelVersion

FEATURES = (FeatureSpec("x1"), FeatureSpec("x2"))
ARTIFACT = LinearModel(FEATURES, (0.5, -0.25), 0.1, link="logistic", output="probability").to_bytes()
MODEL = ModelVersion(
    name="btc-direction",
    version=1,
    artifact_uri="memory://btc-direction/1",
    artifact_sha256=hashlib.sha256(ARTIFACT).hexdigest(),
    created_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    features=FEATURES,
)


async def test_served_predictions_are_stored_by_shutdown_and_their_latency_is_metered() -> None:
    async with running_runtime() as runtime:
        await runtime.app.model_runtime.load(MODEL, ARTIFACT)
        runtime.predictions.serve(MODEL)
        served = [
            await runtime.predictions.predict("btc-direction", {"x1": [1.0], "x2": [2.0]}) for _ in range(3)
        ]
        report = await runtime.stop(5)
        assert report.clean
        async with runtime.app.store.unit_of_work() as uow:
            stored = await uow.predictions.for_model("btc-direction")
    assert sorted(p.id for p in stored) == sorted(s.prediction_id for s in served)
    registry = runtime.metrics.registry
    assert (
        registry.get_sample_value("galfriday_prediction_latency_seconds_count", {"model": "btc-direction"})
        == 3
    )
    total = registry.get_sample_value("galfriday_prediction_latency_seconds_sum", {"model": "btc-direction"})
    assert total == sum(p.latency_seconds for p in stored)

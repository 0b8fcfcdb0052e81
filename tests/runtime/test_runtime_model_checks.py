"""Model checks in the runtime: each watched model's condition goes to the retraining policy on schedule; a
model with no version is trained and registered for review, and the decision is on /metrics."""

from __future__ import annotations

import random
from typing import Any

from runtime_fixtures import memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.adapters.memory.trainer import MemoryTrainer
from galfriday.domain.models import ModelStage, TrainingRequest


def noisy_line(request: TrainingRequest) -> tuple[list[dict[str, float]], list[float]]:
    """A dataset with a known linear relation: y = 2 x1 - x2 + noise."""
    rng = random.Random(7)
    rows = [{"x1": rng.uniform(-1, 1), "x2": rng.uniform(-1, 1)} for _ in range(200)]
    return rows, [2 * r["x1"] - r["x2"] + rng.gauss(0, 0.01) for r in rows]


async def test_a_watched_model_without_a_version_is_trained_and_registered_for_review() -> None:
    overrides: dict[str, Any] = {"trainer": MemoryTrainer(dataset=noisy_line)}
    async with running_runtime(memory_config(models="btc-direction"), overrides=overrides) as runtime:
        checks = runtime.model_checks
        assert checks is not None
        await eventually(lambda: "btc-direction" in checks.results, "the first model check")
        result = checks.results["btc-direction"]
        async with runtime.app.store.unit_of_work() as uow:
            versions = await uow.models.versions("btc-direction")
    assert result.version is not None
    assert [(v.version, v.stage) for v in versions] == [(1, ModelStage.DEVELOPMENT)]
    assert versions[0].metadata["triggers"] == ["no_model"]
    registry = runtime.metrics.registry
    retrained = {"model": "btc-direction", "decision": "retrain"}
    assert registry.get_sample_value("galfriday_retrain_decisions_total", retrained) == 1
    no_model = {"model": "btc-direction", "trigger": "no_model"}
    assert registry.get_sample_value("galfriday_retrain_triggers_total", no_model) == 1
    job = {"job": "model-checks", "outcome": "success"}
    assert registry.get_sample_value("galfriday_job_runs_total", job) == 1


async def test_no_model_checks_run_when_no_model_is_watched() -> None:
    async with running_runtime() as runtime:
        assert runtime.model_checks is None
        assert "model-checks" not in runtime.supervisor.states()

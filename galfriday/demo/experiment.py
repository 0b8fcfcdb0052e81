"""A shadow A/B experiment between two small ONNX models the built-in sklearn trainer makes in seconds.

The market's behaviour changed: hourly returns used to carry little momentum and now carry a lot (two seeded
`candle_walk` regimes, stored as candles). The control is trained on the old regime and promoted to production
through the registry's gates; the candidate is trained on the first part of the new regime. The last
`LIVE_BARS` hours are then replayed as live requests: the runtime's prediction service serves the control's
answer and scores the candidate in shadow on the same features, and each request is resolved by the next
candle. Concluding promotes the candidate through the registry's gates (with the champion scored on the
candidate's own holdout), and the prediction service then serves the winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from attrs import frozen

from galfriday.demo.configuration import CANDLE_INTERVAL_SECONDS, MODEL_NAME
from galfriday.demo.session import DemoFailedError, DemoSession
from galfriday.domain.candle_features import FEATURE_NAMES, WARMUP, candle_features
from galfriday.domain.experiment_evidence import ExperimentAssessment
from galfriday.domain.experiments import Experiment, ExperimentMode
from galfriday.domain.market_data import Candle
from galfriday.domain.models import ModelVersion, TrainingRequest
from galfriday.domain.promotion_gates import GatePolicy
from galfriday.services.experiments import ExperimentService, Verdict
from galfriday.services.holdout_scoring import gated_promoter
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.retraining import RegistryRegistrar
from galfriday.testing.candle_walk import candle_walk

OLD_REGIME_BARS = 800
NEW_REGIME_BARS = 1200
LIVE_BARS = 300
OLD_MOMENTUM = 0.3
NEW_MOMENTUM = 0.6
ACTOR = "demo"
DEMO_GATES = GatePolicy(max_p99_seconds=0.025)
"""The production gates, except single-row p99 latency: 25 ms instead of 1 ms, since the demo shares a laptop
with everything else; a sub-millisecond model still passes, a scheduling hiccup does not fail the demo."""
BOOTSTRAP_RESAMPLES = 2000


@frozen
class ExperimentRun:
    """The two versions, the experiment as it ended, its assessment and what serves the model now."""

    control: ModelVersion
    candidate: ModelVersion
    requests: int
    verdict: Verdict
    serving: int | None

    @property
    def experiment(self) -> Experiment:
        return self.verdict.experiment

    @property
    def assessment(self) -> ExperimentAssessment:
        return self.verdict.assessment


def market_history(now: datetime) -> list[Candle]:
    """Hourly candles up to the last full hour before `now`: the old regime, then the new one."""
    step = timedelta(seconds=CANDLE_INTERVAL_SECONDS)
    last_open = now.replace(minute=0, second=0, microsecond=0) - step
    start = last_open - (OLD_REGIME_BARS + NEW_REGIME_BARS - 1) * step
    old = candle_walk(OLD_REGIME_BARS, seed=3, start=start, autocorrelation=OLD_MOMENTUM)
    new = candle_walk(
        NEW_REGIME_BARS,
        seed=4,
        start=start + OLD_REGIME_BARS * step,
        price=float(old[-1].close),
        autocorrelation=NEW_MOMENTUM,
    )
    return old + new


async def store_candles(session: DemoSession, candles: Sequence[Candle]) -> int:
    async with session.app.store.unit_of_work() as uow:
        written: int = await uow.candles.upsert_many(candles)
        await uow.commit()
    return written


def demo_registry(session: DemoSession) -> ModelRegistry:
    app = session.app
    return ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock, policy=DEMO_GATES)


async def train(
    session: DemoSession,
    registry: ModelRegistry,
    start: datetime,
    end: datetime,
    why: str,
    parent: int | None,
) -> ModelVersion:
    """Train on the candles in [start, end) with the configured trainer; register the result in development."""
    trained = await session.app.trainer.train(TrainingRequest(MODEL_NAME, start, end, parent_version=parent))
    return await RegistryRegistrar(registry).register(
        trained, parent_version=parent, metadata={}, actor=ACTOR, reason=why
    )


def feature_rows(candles: Sequence[Candle]) -> list[dict[str, list[float]]]:
    """One request per bar from the `WARMUP`-th on: a one-row column per feature."""
    table = candle_features(candles)
    return [{name: [table.columns[name][i]] for name in FEATURE_NAMES} for i in range(table.rows)]


async def run_experiment(session: DemoSession, candles: Sequence[Candle]) -> ExperimentRun:
    """Train both models, promote the control, run the shadow experiment on the live bars and conclude it."""
    registry = demo_registry(session)
    step = timedelta(seconds=CANDLE_INTERVAL_SECONDS)
    new_start = candles[OLD_REGIME_BARS].open_time
    live_start = len(candles) - LIVE_BARS - 1  # the last bar has no next candle to resolve it
    control = await train(
        session, registry, candles[0].open_time, new_start, "trained on the old regime", None
    )
    await registry.promote(MODEL_NAME, control.version, actor=ACTOR, reason="first production version")
    candidate = await train(
        session,
        registry,
        new_start,
        candles[live_start].open_time - step,
        "trained on the new regime",
        control.version,
    )
    control = await registry.load(MODEL_NAME, control.version)
    candidate = await registry.load(MODEL_NAME, candidate.version)

    predictions = session.runtime.predictions
    experiments = ExperimentService(
        session.app.store,
        session.app.clock,
        promoter=gated_promoter(registry, ACTOR),
        prediction_log=session.runtime.prediction_log,
        bootstrap_resamples=BOOTSTRAP_RESAMPLES,
    )
    experiment = await experiments.create(
        "momentum retrain",
        MODEL_NAME,
        control.version,
        candidate.version,
        mode=ExperimentMode.SHADOW,
        min_outcomes_per_arm=LIVE_BARS // 2,
        min_duration_seconds=0.0,
    )
    predictions.start_experiment(experiment, control, candidate)
    rows = feature_rows(candles)
    served = []
    for t in range(live_start, len(candles) - 1):
        request = rows[t - WARMUP]
        answer = await predictions.predict(MODEL_NAME, request, routing_key=candles[t].open_time.isoformat())
        served.append((answer.prediction_id, candles[t + 1].close > candles[t].close))
    await session.runtime.prediction_log.flush()
    for prediction_id, rose in served:
        await experiments.record_result(prediction_id, rose)
    verdict = await experiments.conclude(experiment.id)
    if verdict.winner is None:
        raise DemoFailedError(f"the experiment did not conclude: {verdict.assessment.conclusion.reasons}")
    serving = await registry.serving_version(MODEL_NAME)
    if serving is not None:
        predictions.end_experiment(MODEL_NAME, await registry.load(MODEL_NAME, serving.version))
    return ExperimentRun(
        control, candidate, len(served), verdict, None if serving is None else serving.version
    )

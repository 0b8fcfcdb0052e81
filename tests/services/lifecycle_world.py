"""A model lifecycle on memory stores and the real ONNX runtime, for the rollout and full-loop tests.

Candles switch regime at `SWITCH`: before it returns trend (autocorrelation +0.3, 1 % volatility), after it
they mean-revert (-0.3) at 3 % volatility: a feature drift of known size and a change in what predicts the
next bar. A model trained before the switch follows the trend and loses after it; one trained after wins.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.adapters.sklearn.trainer import SklearnTrainer
from galfriday.domain.canary import CanaryPlan, Guardrails
from galfriday.domain.candle_features import candle_features, direction_labels
from galfriday.domain.market_data import Candle
from galfriday.domain.models import ModelVersion
from galfriday.domain.promotion_gates import GatePolicy, HoldoutMetrics
from galfriday.errors import InvalidValueError
from galfriday.services.experiments import ExperimentService
from galfriday.services.holdout_scoring import HoldoutScorer
from galfriday.services.model_monitoring import ModelMonitoringService
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.prediction import PredictionService
from galfriday.services.prediction_log import PredictionLog
from galfriday.services.retraining import RegistryRegistrar, RetrainingService, RetrainResult
from galfriday.services.rollout import LoggedEvidence, PredictionServiceRouter, RolloutService
from galfriday.testing.candle_walk import candle_walk

HOUR = timedelta(hours=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BEFORE = candle_walk(1_500, seed=31, start=T0, autocorrelation=0.3, volatility=0.01)
SWITCH = T0 + 1_500 * HOUR
AFTER = candle_walk(
    2_500, seed=32, start=SWITCH, price=float(BEFORE[-1].close), autocorrelation=-0.3, volatility=0.03
)
MODEL = "btc"

Request = tuple[dict[str, list[float]], bool]


def requests(candles: Sequence[Candle]) -> list[Request]:
    """One single-row request per labelled bar: its features and whether the next close rose."""
    table = candle_features(candles)
    labels = direction_labels(candles)
    return [
        ({name: [column[i]] for name, column in table.columns.items()}, bool(label))
        for i, label in enumerate(labels)
    ]


LIVE = requests(AFTER[1_500:])
"""Live traffic after the switch, beyond anything a model is trained on."""


NEVER_JUDGED = 2**31


def plan(**guardrails: Any) -> CanaryPlan:
    """The default stages and baking (1 h, 100 decisions) with latency never judged: the p99 of a few hundred
    single-row calls on a shared CI machine is scheduling noise, and a noisy breach would hold a stage. The
    latency guardrail has its own test (a candidate tens of milliseconds slow) and domain tests."""
    return CanaryPlan.default(guardrails=Guardrails(latency_min_samples=NEVER_JUDGED, **guardrails))


class LifecycleWorld:
    def __init__(self, now: datetime, canary: CanaryPlan | None = None) -> None:
        self.store = MemoryStore()
        self.champion_holdout: HoldoutMetrics | None = None
        """The champion's scores on the candidate's holdout, once a test has computed them."""
        self.artifacts = MemoryArtifactStore()
        self.runtime = OnnxModelRuntime()
        self.clock = ManualClock(now)
        # the latency gate (p99 <= 1 ms) has its own tests; on a shared 2-core CI machine a scheduling hiccup
        # can push a 5 us inference past it, which is not what these tests are about
        self.registry = ModelRegistry(
            self.store, self.artifacts, self.runtime, self.clock, policy=GatePolicy(max_p99_seconds=0.05)
        )
        self.log = PredictionLog(self.store, self.clock, capacity=100_000, batch_size=1_000)
        self.predictions = PredictionService(self.runtime, self.log, self.clock)
        self.experiments = ExperimentService(
            self.store, self.clock, prediction_log=self.log, bootstrap_resamples=200
        )
        self.monitoring = ModelMonitoringService(self.store, self.clock, window=500 * HOUR)
        self.trainer = SklearnTrainer(self.store, symbol="BTC/USD", interval_seconds=3600, max_trials=2)
        self.retraining = RetrainingService(
            self.store,
            self.clock,
            self.trainer,
            RegistryRegistrar(self.registry),
            monitoring=self.monitoring,
            train_period=1_000 * HOUR,
        )
        self.scorer = HoldoutScorer(self.registry)
        self.evidence = LoggedEvidence(self.store, self.log)
        self.rollout = self.rollout_with(canary or plan())

    def rollout_with(self, canary: CanaryPlan) -> RolloutService:
        """A rollout service of this world's registry, experiments, predictions and evidence, on `canary`."""
        return RolloutService(
            self.registry,
            self.experiments,
            PredictionServiceRouter(self.predictions),
            self.evidence,
            self.clock,
            plan=canary,
        )

    async def v1_in_production_then_the_switch(self) -> RetrainResult:
        """v1 trained on the trend regime (the candles before SWITCH) and promoted to production; then the
        first 1,500 candles of the mean-reverting regime after it stored. Returns v1's retraining result."""
        await self.add_candles(BEFORE)
        first = await self.retraining.run(MODEL)
        await self.registry.promote(MODEL, 1, actor="test", reason="first model")
        await self.add_candles(AFTER[:1_500])
        return first

    async def add_candles(self, candles: Sequence[Candle]) -> None:
        async with self.store.unit_of_work() as uow:
            await uow.candles.upsert_many(candles)
            await uow.commit()

    async def load(self, version: int) -> ModelVersion:
        return await self.registry.load(MODEL, version)

    async def serve(
        self,
        traffic: Sequence[Request],
        start: int = 0,
        count: int | None = None,
        *,
        stake: Decimal | None = None,
    ) -> int:
        """Send requests (cycling through `traffic`) and resolve each; return how many were sent.

        With `stake`, acting on a prediction earns +stake when its side was right and -stake when wrong.
        """
        count = len(traffic) if count is None else count
        for n in range(count):
            features, happened = traffic[(start + n) % len(traffic)]
            served = await self.predictions.predict(MODEL, features)
            if served.experiment_id is not None:
                pnl = None
                if stake is not None:
                    right = (float(served.outputs["probabilities"][-1]) >= 0.5) == happened
                    pnl = stake if right else -stake
                # an output that is not a probability cannot be scored; the canary counts it as an error
                with contextlib.suppress(InvalidValueError):
                    await self.experiments.record_result(served.prediction_id, happened, pnl=pnl)
        await self.log.flush()
        return count

    async def close(self) -> None:
        await self.log.close()
        await self.runtime.close()

"""Prediction latency on /metrics without touching the serving path: the runtime's prediction log observes
`galfriday_prediction_latency_seconds{model}` for each batch it has written (the latency the model runtime
measured for each prediction), so serving still costs one list append.
"""

from __future__ import annotations

from typing import Any

from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.services.prediction_log import LoggedPrediction, PredictionLog


class MeteredPredictionLog(PredictionLog):
    """A `PredictionLog` whose written batches feed the prediction latency histogram (once each)."""

    def __init__(self, store: Store, clock: Clock, *, metrics: RuntimeMetrics, **settings: Any) -> None:
        super().__init__(store, clock, **settings)
        self._latency = metrics.prediction_latency

    async def _write(self, batch: list[LoggedPrediction]) -> int:
        new = await super()._write(batch)  # a refused batch is retried whole: observe only once written
        for prediction in batch:
            self._latency.labels(prediction.model_name).observe(prediction.latency_seconds)
        return new

"""Resolved outcomes of a candle model without an experiment: score it on the window's own candles.

A model serving production outside any experiment has no logged outcomes to join. For a model that predicts
the direction of the next `horizon` bars from candle features, the outcome of every bar in a window is known
once the bars after it have closed, so the model's misses can be rebuilt: features and labels from the stored
candles, the model run on them through the runtime (it must be loadable through the registry), a miss where
the predicted side (p >= 0.5) differs from what happened. Those are the outcomes it would have had, bar by bar.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from galfriday.domain.candle_features import WARMUP, candle_features, direction_labels
from galfriday.domain.models import ModelVersion
from galfriday.services.model_monitoring import candle_series
from galfriday.services.model_registry import ModelRegistry

PROBABILITY_OUTPUT = "probabilities"


class CandleOutcomes:
    """`OutcomeSource` scoring the version on the candles of [start, end) (bars whose label is known)."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    async def errors(self, model: ModelVersion, start: datetime, end: datetime) -> list[float]:
        symbol, interval = candle_series(model)
        horizon = model.metadata.get("horizon", 1)
        horizon = horizon if isinstance(horizon, int) and horizon >= 1 else 1
        step = timedelta(seconds=interval)
        async with self._registry.store.unit_of_work() as uow:
            candles = await uow.candles.range(symbol, interval, start - WARMUP * step, end)
        table = candle_features(candles)
        labels = direction_labels(candles, horizon)
        rows = [i for i, at in enumerate(table.times[: len(labels)]) if at >= start]
        if not rows:
            return []
        loaded = await self._registry.load(model.name, model.version)
        columns = {name: [column[i] for i in rows] for name, column in table.columns.items()}
        flat = (await self._registry.runtime.predict(loaded, columns)).outputs[PROBABILITY_OUTPUT]
        width = len(flat) // len(rows)
        return [
            0.0 if (flat[k * width + width - 1] >= 0.5) == (labels[i] == 1) else 1.0
            for k, i in enumerate(rows)
        ]

"""Score the champion on a candidate's holdout, so the promotion gates compare the two on the same rows.

A candidate trained on candles records its holdout (`holdout_window`, `horizon`, `symbol`, `interval_seconds`
and the holdout id). This rebuilds those rows from the stored candles (features with their warm-up, labels
from the bars after), runs the production version on them through the runtime, and returns its Brier, log
loss and hit rate under the candidate's holdout id: the `champion_holdout` that `ModelRegistry.validate`
and `promote` take.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from galfriday.domain.candle_features import WARMUP, candle_features, direction_labels
from galfriday.domain.model_metadata import VersionMetadata
from galfriday.domain.model_stages import PRODUCTION
from galfriday.domain.models import ModelVersion
from galfriday.domain.promotion_gates import HoldoutMetrics
from galfriday.errors import InvalidValueError, ModelError
from galfriday.services.experiments import Promoter
from galfriday.services.model_monitoring import candle_series
from galfriday.services.model_registry import ModelRegistry

PROBABILITY_OUTPUT = "probabilities"
_CLIP = 1e-15


class HoldoutScorer:
    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    async def champion_holdout(self, model_name: str, candidate_version: int) -> HoldoutMetrics | None:
        """The production version's scores on the candidate's holdout; None if nothing is in production."""
        production = (await self._registry.aliases(model_name)).get(PRODUCTION)
        if production is None or production == candidate_version:
            return None
        candidate = await self._registry.get(model_name, candidate_version)
        champion = await self._registry.load(model_name, production)
        return await self.score(champion, candidate)

    async def score(self, model: ModelVersion, candidate: ModelVersion) -> HoldoutMetrics:
        """`model`'s scores on `candidate`'s holdout rows (`model` must be loaded in the registry's runtime)."""
        metadata = VersionMetadata.from_json(candidate.metadata)
        window = candidate.metadata.get("holdout_window")
        horizon = candidate.metadata.get("horizon")
        if metadata.holdout is None or not isinstance(window, list) or not isinstance(horizon, int):
            raise ModelError(
                f"model {candidate.name} v{candidate.version} records no candle holdout "
                "(holdout, holdout_window, horizon); it was not trained on candles"
            )
        symbol, interval = candle_series(candidate)
        first, last = (datetime.fromisoformat(w) for w in window)
        step = timedelta(seconds=interval)
        async with self._registry.store.unit_of_work() as uow:
            candles = await uow.candles.range(
                symbol, interval, first - WARMUP * step, last + (horizon + 1) * step
            )
        table = candle_features(candles)
        labels = direction_labels(candles, horizon)
        rows = [i for i, at in enumerate(table.times) if first <= at <= last and i < len(labels)]
        if not rows:
            raise InvalidValueError("holdout_window", window, "stored candles covering the holdout")
        columns = {name: [table.columns[name][i] for i in rows] for name in table.columns}
        prediction = await self._registry.runtime.predict(model, columns)
        # Python floats: a runtime may hand back a float32 array, and the metrics must be plain floats (JSON).
        flat = [float(p) for p in prediction.outputs[PROBABILITY_OUTPUT]]
        width = len(flat) // len(rows)
        p = [flat[r * width + width - 1] for r in range(len(rows))]
        y = [labels[i] for i in rows]
        return HoldoutMetrics(
            metadata.holdout.holdout_id,
            brier=math.fsum((pi - yi) ** 2 for pi, yi in zip(p, y, strict=True)) / len(y),
            log_loss=math.fsum(
                -math.log(min(max(pi if yi else 1 - pi, _CLIP), 1.0)) for pi, yi in zip(p, y, strict=True)
            )
            / len(y),
            hit_rate=sum((pi >= 0.5) == (yi == 1) for pi, yi in zip(p, y, strict=True)) / len(y),
        )


def gated_promoter(registry: ModelRegistry, actor: str) -> Promoter:
    """An experiment's winner promoted through the registry's gates, recorded under `actor`.

    A candidate trained on candles is compared with the champion scored on the candidate's own holdout;
    any other candidate with the holdout the production version recorded (the registry's default).
    """
    scorer = HoldoutScorer(registry)

    async def promote(model_name: str, version: int, reason: str) -> None:
        candidate = await registry.get(model_name, version)
        champion = None
        if "holdout_window" in candidate.metadata:
            champion = await scorer.champion_holdout(model_name, version)
        await registry.promote(model_name, version, actor=actor, reason=reason, champion_holdout=champion)

    return promote

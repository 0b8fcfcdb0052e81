"""Per-prediction losses of probability forecasts of a yes/no outcome, the inputs of Diebold-Mariano."""

from __future__ import annotations

import math
from collections.abc import Iterable

from galfriday.domain.statistics.samples import Sample, outcomes, probability, sample
from galfriday.errors import InvalidValueError

LOG_LOSS_CLIP = 1e-15  # scikit-learn's historical clip: a confident miss costs ~34.5, not infinity


def _forecasts(probabilities: Iterable[float], happened: Iterable[bool]) -> tuple[Sample, tuple[bool, ...]]:
    p = sample("probabilities", probabilities)
    for index, value in enumerate(p):
        probability(f"probabilities[{index}]", value, open_interval=False)
    y = outcomes("outcomes", happened)
    if len(p) != len(y):
        raise InvalidValueError(
            "probabilities/outcomes lengths", (len(p), len(y)), "one outcome per forecast"
        )
    return p, y


def brier_losses(probabilities: Iterable[float], happened: Iterable[bool]) -> Sample:
    """(p - y)^2 for each forecast p of an outcome y (1 if it happened): the Brier score per prediction."""
    p, y = _forecasts(probabilities, happened)
    return tuple((pi - (1.0 if yi else 0.0)) ** 2 for pi, yi in zip(p, y, strict=True))


def log_losses(probabilities: Iterable[float], happened: Iterable[bool]) -> Sample:
    """-ln p if the outcome happened, else -ln(1 - p), with p clipped to [1e-15, 1 - 1e-15]."""
    p, y = _forecasts(probabilities, happened)
    losses = []
    for pi, yi in zip(p, y, strict=True):
        clipped = min(max(pi, LOG_LOSS_CLIP), 1.0 - LOG_LOSS_CLIP)
        losses.append(-math.log(clipped) if yi else -math.log1p(-clipped))
    return tuple(losses)

"""Hyperparameter search within a budget: random search, stopped by a trial count or a time limit.

Candidates come from a seeded generator, the first being the library default, so a budget of one trial
reproduces the plain default model. At least one trial always runs; the time limit is checked before each
further trial (a trial already started finishes).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from attrs import frozen

from galfriday.errors import InvalidValueError

C_RANGE = (1e-3, 1e2)
"""LogisticRegression's inverse regularisation strength, searched log-uniformly."""


@frozen
class Trial:
    params: dict[str, Any]
    score: float
    """Mean walk-forward log loss (lower is better)."""


@frozen
class SearchResult:
    best: Trial
    trials: tuple[Trial, ...]
    elapsed_seconds: float
    stopped_by: str
    """'trials' or 'time'."""


def candidates(seed: int) -> Iterator[dict[str, Any]]:
    """C = 1.0 (sklearn's default) first, then log-uniform draws in `C_RANGE`."""
    yield {"C": 1.0}
    rng = np.random.default_rng(seed)
    low, high = (math.log10(v) for v in C_RANGE)
    while True:
        yield {"C": float(10 ** rng.uniform(low, high))}


def search(
    score: Callable[[dict[str, Any]], float],
    *,
    max_trials: int,
    time_budget_seconds: float,
    seed: int = 0,
    monotonic: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Score candidates until `max_trials` or `time_budget_seconds` is spent; the lowest score wins."""
    if max_trials < 1:
        raise InvalidValueError("max_trials", max_trials, "at least 1 trial")
    if not time_budget_seconds >= 0:
        raise InvalidValueError("time_budget_seconds", time_budget_seconds, "zero or more seconds")
    started = monotonic()
    trials: list[Trial] = []
    stopped_by = "trials"
    for params in candidates(seed):
        if len(trials) == max_trials:
            break
        if trials and monotonic() - started >= time_budget_seconds:
            stopped_by = "time"
            break
        trials.append(Trial(params, score(params)))
    best = min(trials, key=lambda trial: trial.score)
    return SearchResult(best, tuple(trials), monotonic() - started, stopped_by)

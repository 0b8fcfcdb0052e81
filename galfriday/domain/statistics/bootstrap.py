"""Percentile bootstrap interval of a difference in means (Efron & Tibshirani 1993, ch. 13).

Each arm is resampled on its own, since the arms of a split experiment are independent. With
`block_length` it is the moving-block bootstrap (Kuensch 1989): each arm's time-ordered series is rebuilt
from runs of `block_length` consecutive values starting at uniformly drawn positions, so short-range
autocorrelation of P&L survives resampling; ceil(n^(1/3)) (`samples.ceil_cube_root`) is the usual
length (Hall, Horowitz & Jing 1995). Quantiles interpolate linearly, as numpy's default does. One seeded
random.Random drives every draw, so the same inputs and seed give the same interval.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from itertools import accumulate

from attrs import frozen

from galfriday.domain.statistics.samples import Sample, count, mean, probability, sample
from galfriday.errors import InvalidValueError

DEFAULT_RESAMPLES = 10_000


@frozen
class BootstrapInterval:
    """A percentile interval for mean(challenger) - mean(champion)."""

    estimate: float
    lower: float
    upper: float
    confidence: float
    resamples: int
    block_length: int | None
    n_challenger: int
    n_champion: int
    seed: int

    def excludes(self, value: float) -> bool:
        return not self.lower <= value <= self.upper

    @property
    def summary(self) -> str:
        method = f"moving blocks of {self.block_length}" if self.block_length else "iid"
        return (
            f"bootstrap ({method}, {self.resamples} resamples, seed {self.seed}): challenger - champion = "
            f"{self.estimate:+.4g} [{self.lower:+.4g}, {self.upper:+.4g}] at {self.confidence:.0%}, "
            f"n = {self.n_challenger}/{self.n_champion}"
        )


def bootstrap_mean_difference(
    challenger: Iterable[float],
    champion: Iterable[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
    block_length: int | None = None,
) -> BootstrapInterval:
    """The percentile interval of the difference in means; `block_length` switches to moving blocks."""
    a = sample("challenger", challenger)
    b = sample("champion", champion)
    count("resamples", resamples, minimum=2)
    confidence = probability("confidence", confidence)
    if block_length is not None:
        count("block_length", block_length, minimum=1)
        if block_length > min(len(a), len(b)):
            raise InvalidValueError("block_length", block_length, "at most the size of the smaller arm")
    rng = random.Random(seed)
    draw_a, draw_b = _Resampler(a, block_length), _Resampler(b, block_length)
    differences = sorted(draw_a(rng) - draw_b(rng) for _ in range(resamples))
    tail = (1.0 - confidence) / 2.0
    return BootstrapInterval(
        estimate=mean(a) - mean(b),
        lower=_quantile(differences, tail),
        upper=_quantile(differences, 1.0 - tail),
        confidence=confidence,
        resamples=resamples,
        block_length=block_length,
        n_challenger=len(a),
        n_champion=len(b),
        seed=seed,
    )


class _Resampler:
    """The mean of one bootstrap resample of a series: iid draws, or moving blocks through prefix sums."""

    def __init__(self, values: Sample, block_length: int | None) -> None:
        self.values = values
        self.n = len(values)
        self.block = block_length if block_length and block_length > 1 else None
        self.prefix = (0.0, *accumulate(values))

    def __call__(self, rng: random.Random) -> float:
        if self.block is None:
            return sum(rng.choices(self.values, k=self.n)) / self.n
        n, block, prefix = self.n, self.block, self.prefix
        starts = n - block + 1
        total, filled = 0.0, 0
        while filled < n:
            length = min(block, n - filled)
            start = rng.randrange(starts)
            total += prefix[start + length] - prefix[start]
            filled += length
        return total / n


def _quantile(ordered: list[float], level: float) -> float:
    """Linear interpolation between order statistics (numpy's default, Hyndman & Fan type 7)."""
    position = (len(ordered) - 1) * level
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction

"""Welch's t test on winsorised per-prediction values: the split-experiment test of mean net P&L.

P&L has fat tails, so both arms are winsorised first, with caps taken from the pooled values so neither
arm is clipped harder than the other: scipy.stats.mstats.winsorize(limits=(0.01, 0.01)) on the pooled
data, i.e. the int(0.01 n) lowest values are raised to the next one and likewise at the top. Then Welch
(1947): t = (mean_1 - mean_2) / sqrt(s1^2/n1 + s2^2/n2) with Welch-Satterthwaite degrees of freedom,
as scipy.stats.ttest_ind(equal_var=False).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.alternative import Alternative, as_alternative, tail_p_value
from galfriday.domain.statistics.samples import Sample, mean, probability, sample, variance
from galfriday.domain.statistics.special import student_t_cdf, student_t_quantile, student_t_sf
from galfriday.errors import InvalidValueError

DEFAULT_LIMITS = (0.01, 0.01)


def winsorize(values: Iterable[float], limits: tuple[float, float] = DEFAULT_LIMITS) -> Sample:
    """Clip to the order statistics int(lo n) and n - 1 - int(hi n), keeping order (scipy's convention)."""
    data = sample("values", values)
    low, high = limits
    for name, limit in (("lower limit", low), ("upper limit", high)):
        if not (isinstance(limit, int | float) and 0.0 <= limit < 0.5):
            raise InvalidValueError(f"winsorize {name}", limit, "a fraction in [0, 0.5)")
    n = len(data)
    ordered = sorted(data)
    floor = ordered[int(low * n)]
    ceiling = ordered[n - int(n * high) - 1]
    return tuple(min(max(v, floor), ceiling) for v in data)


@frozen
class WelchResult:
    """Welch's test of challenger minus champion means, with a two-sided confidence interval."""

    statistic: float
    p_value: float
    df: float
    mean_difference: float
    interval: tuple[float, float]
    confidence: float
    n_challenger: int
    n_champion: int
    alternative: Alternative

    @property
    def summary(self) -> str:
        low, high = self.interval
        return (
            f"Welch t (winsorised): challenger - champion = {self.mean_difference:+.4g} "
            f"[{low:+.4g}, {high:+.4g}] at {self.confidence:.0%}, t = {self.statistic:.3f} on "
            f"{self.df:.1f} df, p = {self.p_value:.4g} ({self.alternative}), "
            f"n = {self.n_challenger}/{self.n_champion}"
        )


def welch_t_test(
    challenger: Iterable[float],
    champion: Iterable[float],
    *,
    limits: tuple[float, float] | None = DEFAULT_LIMITS,
    alternative: Alternative = Alternative.TWO_SIDED,
    confidence: float = 0.95,
) -> WelchResult:
    """Welch's t test of mean(challenger) - mean(champion) after pooled winsorising (limits=None: none)."""
    a = sample("challenger", challenger, min_size=2)
    b = sample("champion", champion, min_size=2)
    alternative = as_alternative(alternative)
    confidence = probability("confidence", confidence)
    if limits is not None:
        pooled = winsorize(a + b, limits)
        a, b = pooled[: len(a)], pooled[len(a) :]
    n_a, n_b = len(a), len(b)
    va, vb = variance(a) / n_a, variance(b) / n_b
    difference = mean(a) - mean(b)
    se2 = va + vb
    if se2 > 0.0:
        df = se2**2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
        statistic = difference / math.sqrt(se2)
        half = student_t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(se2)
    else:  # both arms constant: the difference is known exactly
        df = n_a + n_b - 2.0
        statistic = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
        half = 0.0
    p_value = tail_p_value(
        statistic, alternative, lambda s: student_t_cdf(s, df), lambda s: student_t_sf(s, df)
    )
    interval = (difference - half, difference + half)
    return WelchResult(statistic, p_value, df, difference, interval, confidence, n_a, n_b, alternative)

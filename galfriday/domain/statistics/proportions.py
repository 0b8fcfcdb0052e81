"""Two-proportion z test: do two arms have the same hit rate?

z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with the pooled rate p under the null, p-value from the
normal (z^2 equals Pearson's chi-square on the 2x2 table without continuity correction, which is how the
tests check it against scipy). The interval is Wald's, unpooled: (p1 - p2) +- z_{1-a/2} sqrt(p1 q1/n1 + p2 q2/n2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.alternative import Alternative, as_alternative, tail_p_value
from galfriday.domain.statistics.samples import count, outcomes, probability
from galfriday.domain.statistics.special import normal_cdf, normal_quantile, normal_sf
from galfriday.errors import InvalidValueError


@frozen
class TwoProportionResult:
    """The z test of challenger minus champion hit rates."""

    statistic: float
    p_value: float
    challenger_rate: float
    champion_rate: float
    interval: tuple[float, float]
    confidence: float
    n_challenger: int
    n_champion: int
    alternative: Alternative

    @property
    def difference(self) -> float:
        return self.challenger_rate - self.champion_rate

    @property
    def summary(self) -> str:
        low, high = self.interval
        return (
            f"two-proportion z: hit rate {self.challenger_rate:.2%} vs {self.champion_rate:.2%} "
            f"({self.difference * 100:+.2f} pp, [{low * 100:+.2f}, {high * 100:+.2f}] at "
            f"{self.confidence:.0%}), z = {self.statistic:.3f}, p = {self.p_value:.4g} ({self.alternative}), "
            f"n = {self.n_challenger}/{self.n_champion}"
        )


def two_proportion_z_test(
    challenger_hits: int,
    challenger_n: int,
    champion_hits: int,
    champion_n: int,
    *,
    alternative: Alternative = Alternative.TWO_SIDED,
    confidence: float = 0.95,
) -> TwoProportionResult:
    """The z test from hit counts out of trials for each arm."""
    n1 = count("challenger_n", challenger_n, minimum=1)
    n2 = count("champion_n", champion_n, minimum=1)
    x1 = count("challenger_hits", challenger_hits)
    x2 = count("champion_hits", champion_hits)
    for name, hits, trials in (("challenger_hits", x1, n1), ("champion_hits", x2, n2)):
        if hits > trials:
            raise InvalidValueError(name, hits, f"at most the {trials} trials")
    alternative = as_alternative(alternative)
    confidence = probability("confidence", confidence)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se0 > 0.0:
        statistic = (p1 - p2) / se0
    else:  # every trial a hit, or none: the rates are equal
        statistic = 0.0
    p_value = tail_p_value(statistic, alternative, normal_cdf, normal_sf)
    half = normal_quantile(0.5 + confidence / 2.0) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    interval = (p1 - p2 - half, p1 - p2 + half)
    return TwoProportionResult(statistic, p_value, p1, p2, interval, confidence, n1, n2, alternative)


def two_proportion_z_test_outcomes(
    challenger: Iterable[bool],
    champion: Iterable[bool],
    *,
    alternative: Alternative = Alternative.TWO_SIDED,
    confidence: float = 0.95,
) -> TwoProportionResult:
    """The z test from each arm's hit/miss outcomes."""
    a, b = outcomes("challenger", challenger), outcomes("champion", champion)
    return two_proportion_z_test(
        sum(a), len(a), sum(b), len(b), alternative=alternative, confidence=confidence
    )

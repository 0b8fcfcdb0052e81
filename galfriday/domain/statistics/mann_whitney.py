"""Mann-Whitney U test, the rank-based sanity check beside Welch: does one arm tend to score higher?

Normal approximation with tie correction and continuity correction, as scipy.stats.mannwhitneyu(
method="asymptotic", use_continuity=True): U1 = R1 - n1(n1 + 1)/2 from midranks, sigma^2 = n1 n2 / 12
((n + 1) - sum(t^3 - t) / (n (n - 1))) over tie groups of size t, z = (U - n1 n2 / 2 - 1/2) / sigma with
U = max(U1, U2) two-sided (doubling the tail), U1 for "greater" and U2 for "less".
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.alternative import Alternative, as_alternative
from galfriday.domain.statistics.samples import sample
from galfriday.domain.statistics.special import normal_sf


@frozen
class MannWhitneyResult:
    """U of the challenger (scipy's statistic), its p-value, and P(challenger > champion) + ties / 2."""

    statistic: float
    p_value: float
    z: float
    n_challenger: int
    n_champion: int
    alternative: Alternative

    @property
    def probability_of_superiority(self) -> float:
        return self.statistic / (self.n_challenger * self.n_champion)

    @property
    def summary(self) -> str:
        return (
            f"Mann-Whitney U = {self.statistic:.1f}: P(challenger > champion) = "
            f"{self.probability_of_superiority:.3f}, z = {self.z:.3f}, p = {self.p_value:.4g} "
            f"({self.alternative}), n = {self.n_challenger}/{self.n_champion}"
        )


def midranks(values: tuple[float, ...]) -> tuple[list[float], list[int]]:
    """Ranks 1..n with ties sharing their average rank, and the sizes of the tie groups."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        average = (start + end) / 2.0 + 1.0
        for position in range(start, end + 1):
            ranks[order[position]] = average
        ties.append(end - start + 1)
        start = end + 1
    return ranks, ties


def mann_whitney_u(
    challenger: Iterable[float],
    champion: Iterable[float],
    *,
    alternative: Alternative = Alternative.TWO_SIDED,
) -> MannWhitneyResult:
    """The U test of challenger against champion, normal approximation with tie and continuity corrections."""
    a, b = sample("challenger", challenger), sample("champion", champion)
    alternative = as_alternative(alternative)
    n1, n2 = len(a), len(b)
    n = n1 + n2
    ranks, ties = midranks(a + b)
    u1 = math.fsum(ranks[:n1]) - n1 * (n1 + 1) / 2.0
    u2 = n1 * n2 - u1
    if alternative is Alternative.GREATER:
        u, factor = u1, 1.0
    elif alternative is Alternative.LESS:
        u, factor = u2, 1.0
    else:
        u, factor = max(u1, u2), 2.0
    tie_term = sum(t**3 - t for t in ties) / (n * (n - 1)) if n > 1 else 0.0
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - tie_term))
    if sigma > 0.0:
        z = (u - n1 * n2 / 2.0 - 0.5) / sigma
        p_value = min(1.0, factor * normal_sf(z))
    else:  # every value tied: no evidence of a shift
        z, p_value = 0.0, 1.0
    return MannWhitneyResult(u1, p_value, z, n1, n2, alternative)

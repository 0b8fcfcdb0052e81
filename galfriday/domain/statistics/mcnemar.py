"""McNemar's test: on the same predictions, does the challenger hit where the champion misses more often
than the reverse? Only discordant pairs carry information.

Conventions are statsmodels' (`statsmodels.stats.contingency_tables.mcnemar`), with the design's switch:
- fewer than 100 discordant pairs: exact binomial, statistic = min(b, c) and
  p = min(1, 2 P(Bin(b + c, 1/2) <= min(b, c))), summed in exact integer arithmetic;
- otherwise chi-square with Edwards' continuity correction, statistic = (|b - c| - 1)^2 / (b + c) and
  p = P(chi2_1 > statistic); like statsmodels it is not clamped, so b = c gives 1 / (b + c), not 0.
b counts pairs only the champion got right, c pairs only the challenger got right.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from attrs import frozen

from galfriday.domain.statistics.samples import count, paired_outcomes
from galfriday.domain.statistics.special import chi_square_sf

EXACT_BELOW = 100


@frozen
class McNemarResult:
    """The test on one comparison; `exact` tells which of the two forms produced the p-value."""

    statistic: float
    p_value: float
    champion_only: int
    challenger_only: int
    n: int
    exact: bool

    @property
    def discordant(self) -> int:
        return self.champion_only + self.challenger_only

    @property
    def summary(self) -> str:
        method = "exact binomial" if self.exact else "chi-square, continuity-corrected"
        return (
            f"McNemar ({method}): challenger alone right on {self.challenger_only}, champion alone on "
            f"{self.champion_only} of {self.n} pairs; p = {self.p_value:.4g}"
        )


def mcnemar(
    champion_hits: Iterable[bool], challenger_hits: Iterable[bool], *, exact_below: int = EXACT_BELOW
) -> McNemarResult:
    """McNemar's test on paired hit/miss outcomes of the same predictions."""
    champion, challenger = paired_outcomes("champion_hits", champion_hits, "challenger_hits", challenger_hits)
    b = sum(1 for x, y in zip(champion, challenger, strict=True) if x and not y)
    c = sum(1 for x, y in zip(champion, challenger, strict=True) if y and not x)
    return mcnemar_from_counts(b, c, n=len(champion), exact_below=exact_below)


def mcnemar_from_counts(
    champion_only: int, challenger_only: int, *, n: int | None = None, exact_below: int = EXACT_BELOW
) -> McNemarResult:
    """McNemar's test from the discordant counts b (champion alone right) and c (challenger alone right)."""
    b = count("champion_only", champion_only)
    c = count("challenger_only", challenger_only)
    total = count("n", n if n is not None else b + c, minimum=b + c)
    count("exact_below", exact_below)
    if b + c < exact_below:
        statistic = float(min(b, c))
        p_value = _exact_two_sided(min(b, c), b + c)
        return McNemarResult(statistic, p_value, b, c, total, exact=True)
    statistic = (abs(b - c) - 1.0) ** 2 / (b + c)
    return McNemarResult(statistic, chi_square_sf(statistic, 1.0), b, c, total, exact=False)


def _exact_two_sided(k: int, n: int) -> float:
    """min(1, 2 P(Bin(n, 1/2) <= k)), exactly."""
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))

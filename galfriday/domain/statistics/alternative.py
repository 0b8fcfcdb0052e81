"""The alternative hypothesis of a test, spelled as scipy spells it, and the p-value it implies."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from galfriday.errors import InvalidValueError


class Alternative(StrEnum):
    """Which departure from the null counts: either side, or the first mean below / above the second."""

    TWO_SIDED = "two-sided"
    LESS = "less"
    GREATER = "greater"


def tail_p_value(
    statistic: float, alternative: Alternative, cdf: Callable[[float], float], sf: Callable[[float], float]
) -> float:
    """p-value of `statistic` under a null distribution symmetric about 0 (normal, Student t)."""
    alternative = as_alternative(alternative)
    if alternative is Alternative.LESS:
        return cdf(statistic)
    if alternative is Alternative.GREATER:
        return sf(statistic)
    return min(1.0, 2.0 * sf(abs(statistic)))


def as_alternative(value: str) -> Alternative:
    """`value` as an Alternative ("two-sided", "less" or "greater" are accepted as strings too)."""
    try:
        return Alternative(value)
    except ValueError:
        raise InvalidValueError("alternative", value, "two-sided, less or greater") from None

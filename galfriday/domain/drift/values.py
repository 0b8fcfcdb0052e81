"""Checking the numbers a drift statistic is given: finite floats only."""

from __future__ import annotations

import math
from collections.abc import Iterable

from galfriday.errors import InvalidValueError


def finite_values(field: str, values: Iterable[float]) -> list[float]:
    """The values as a list of floats; NaN or infinity is refused, since neither has a place in a distribution."""
    out = [float(v) for v in values]
    for v in out:
        if not math.isfinite(v):
            raise InvalidValueError(field, v, "finite numbers (drop or impute missing values first)")
    return out

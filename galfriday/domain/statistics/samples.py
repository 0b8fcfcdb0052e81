"""Validated samples and their moments: every statistic starts here, so bad input fails in one place.

A sample is a tuple of finite floats; empty samples, NaN, infinities, booleans posing as numbers and
paired samples of different lengths raise InvalidValueError naming the sample. Sums use math.fsum so
means and variances do not drift with the order of the data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from galfriday.errors import InvalidValueError

Sample = tuple[float, ...]


def sample(name: str, values: Iterable[float], *, min_size: int = 1) -> Sample:
    """`values` as a tuple of finite floats with at least `min_size` items, or InvalidValueError."""
    items = tuple(values)
    if len(items) < min_size:
        raise InvalidValueError(name, items, f"at least {min_size} values")
    for index, value in enumerate(items):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidValueError(f"{name}[{index}]", value, "a finite number")
    return tuple(float(value) for value in items)


def paired(
    name_a: str, values_a: Iterable[float], name_b: str, values_b: Iterable[float], *, min_size: int = 1
) -> tuple[Sample, Sample]:
    """Two samples observed on the same items, so they must have the same length."""
    a = sample(name_a, values_a, min_size=min_size)
    b = sample(name_b, values_b, min_size=min_size)
    if len(a) != len(b):
        raise InvalidValueError(
            f"{name_a}/{name_b} lengths", (len(a), len(b)), "paired samples of equal length"
        )
    return a, b


def outcomes(name: str, values: Iterable[bool]) -> tuple[bool, ...]:
    """A sample of yes/no outcomes (hit or miss, error or not)."""
    items = tuple(values)
    if not items:
        raise InvalidValueError(name, items, "at least 1 outcome")
    for index, value in enumerate(items):
        if not isinstance(value, bool):
            raise InvalidValueError(f"{name}[{index}]", value, "a bool outcome")
    return items


def probability(name: str, value: float, *, open_interval: bool = True) -> float:
    """A probability: in (0, 1) by default (levels, alphas, shares), else in [0, 1]."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and ((0.0 < value < 1.0) if open_interval else (0.0 <= value <= 1.0))
    if not ok:
        raise InvalidValueError(
            name, value, "a number strictly between 0 and 1" if open_interval else "in [0, 1]"
        )
    return float(value)


def count(name: str, value: int, *, minimum: int = 0) -> int:
    """A whole count, at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(name, value, f"a whole number >= {minimum}")
    return value


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean, summed exactly (math.fsum)."""
    return math.fsum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    """The unbiased sample variance (n - 1 in the denominator), two-pass; 0 for a single value."""
    n = len(values)
    if n < 2:
        return 0.0
    m = mean(values)
    return math.fsum((v - m) ** 2 for v in values) / (n - 1)


def paired_outcomes(
    name_a: str, values_a: Iterable[bool], name_b: str, values_b: Iterable[bool]
) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
    """Two yes/no samples observed on the same items, so of the same length."""
    a, b = outcomes(name_a, values_a), outcomes(name_b, values_b)
    if len(a) != len(b):
        raise InvalidValueError(
            f"{name_a}/{name_b} lengths", (len(a), len(b)), "paired outcomes of equal length"
        )
    return a, b


def ceil_cube_root(n: int) -> int:
    """The smallest L with L^3 >= n, checked in integers (n ** (1/3) in floats makes ceil(27) 4)."""
    root = max(1, round(math.cbrt(n)))
    while root**3 < n:
        root += 1
    while root > 1 and (root - 1) ** 3 >= n:
        root -= 1
    return root

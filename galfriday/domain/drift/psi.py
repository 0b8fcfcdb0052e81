"""Population stability index on reference-quantile bins: is a window distributed like the training data?

The bins are cut at the reference's deciles (numpy's default "linear" quantiles), with open outer bins so a
window that moves outside the training range still lands somewhere. Empty bins count as ε = 1e-4 (Evidently's
choice), so PSI stays finite. Bands: below 0.1 stable, from 0.1 warn, from 0.25 alert. PSI over fewer than
500 rows is noisy; below that use the KS test.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from enum import StrEnum

from attrs import frozen

from galfriday.domain.drift.values import finite_values
from galfriday.errors import InvalidValueError

PSI_BINS = 10
PSI_EPSILON = 1e-4
PSI_WARN = 0.1
PSI_ALERT = 0.25
MIN_PSI_ROWS = 500


class DriftLevel(StrEnum):
    STABLE = "stable"
    WARN = "warn"
    ALERT = "alert"


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, exactly as numpy.quantile's default "linear" method computes it."""
    n = len(sorted_values)
    virtual = (n - 1) * q
    below = min(max(math.floor(virtual), 0), n - 1)
    above = min(below + 1, n - 1)
    gamma = virtual - below
    a, b = sorted_values[below], sorted_values[above]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def bin_index(edges: Sequence[float], value: float) -> int:
    """Bin k holds edges[k-1] <= value < edges[k]; the first and last bins are open-ended."""
    return bisect_right(edges, value)


def bin_counts(edges: Sequence[float], values: Iterable[float]) -> list[int]:
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[bisect_right(edges, value)] += 1
    return counts


@frozen
class PsiReference:
    """The training reference of one feature: quantile cut points and the share of reference rows per bin."""

    edges: tuple[float, ...]
    proportions: tuple[float, ...]
    rows: int

    @classmethod
    def from_sample(cls, values: Iterable[float], bins: int = PSI_BINS) -> PsiReference:
        """Cut at the reference's 1/bins ... (bins-1)/bins quantiles; tied cut points merge bins."""
        if bins < 2:
            raise InvalidValueError("bins", bins, "at least 2")
        data = sorted(finite_values("reference", values))
        if not data:
            raise InvalidValueError("reference", data, "at least one value")
        edges = tuple(sorted({quantile(data, k / bins) for k in range(1, bins)}))
        counts = bin_counts(edges, data)
        return cls(edges, tuple(c / len(data) for c in counts), len(data))


def psi_from_proportions(
    expected: Sequence[float], actual: Sequence[float], epsilon: float = PSI_EPSILON
) -> float:
    """Σ (a - e) ln(a / e) over bins, empty bins counted as `epsilon`."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = e or epsilon, a or epsilon
        total += (a - e) * math.log(a / e)
    return total


def psi(reference: PsiReference, window: Iterable[float], epsilon: float = PSI_EPSILON) -> float:
    """PSI of `window` against `reference` (0 when identical; grows with the shift)."""
    values = finite_values("window", window)
    if not values:
        raise InvalidValueError("window", values, "at least one value")
    counts = bin_counts(reference.edges, values)
    actual = [c / len(values) for c in counts]
    return psi_from_proportions(reference.proportions, actual, epsilon)


def psi_level(value: float, warn: float = PSI_WARN, alert: float = PSI_ALERT) -> DriftLevel:
    """Stable below `warn`, warn from `warn`, alert from `alert`."""
    if value >= alert:
        return DriftLevel.ALERT
    if value >= warn:
        return DriftLevel.WARN
    return DriftLevel.STABLE

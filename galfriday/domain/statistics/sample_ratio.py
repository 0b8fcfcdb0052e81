"""Sample-ratio mismatch: did the router deliver the traffic split it was configured for?

Pearson's chi-square goodness of fit of the observed assignments per arm against the configured shares,
k - 1 degrees of freedom (scipy.stats.chisquare). A p-value below 0.001 (the design's threshold, as
GrowthBook and Optimizely use) means the assignment is broken and the experiment's results are invalid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attrs import frozen

from galfriday.domain.statistics.samples import count, probability
from galfriday.domain.statistics.special import chi_square_sf
from galfriday.errors import InvalidValueError

SRM_THRESHOLD = 0.001


@frozen
class SampleRatioResult:
    """The goodness-of-fit test; `mismatch` is True when p < threshold."""

    statistic: float
    p_value: float
    observed: tuple[int, ...]
    expected_shares: tuple[float, ...]
    threshold: float

    @property
    def df(self) -> int:
        return len(self.observed) - 1

    @property
    def n(self) -> int:
        return sum(self.observed)

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.threshold

    @property
    def summary(self) -> str:
        shares = "/".join(f"{share:.1%}" for share in self.expected_shares)
        seen = "/".join(f"{c / self.n:.1%}" for c in self.observed)
        verdict = "MISMATCH, results invalid" if self.mismatch else "ok"
        return (
            f"sample ratio {seen} vs configured {shares} of {self.n}: chi-square = {self.statistic:.2f} "
            f"on {self.df} df, p = {self.p_value:.4g} ({verdict} at {self.threshold:g})"
        )


def sample_ratio_mismatch(
    observed: Sequence[int], expected_shares: Sequence[float], *, threshold: float = SRM_THRESHOLD
) -> SampleRatioResult:
    """Test assignments per arm against configured shares (weights are normalised to sum to 1)."""
    counts = tuple(count(f"observed[{i}]", c) for i, c in enumerate(observed))
    if len(counts) < 2 or len(counts) != len(expected_shares):
        raise InvalidValueError(
            "expected_shares", tuple(expected_shares), f"one share per arm, at least 2 arms ({len(counts)})"
        )
    for index, weight in enumerate(expected_shares):
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not (0.0 < weight < math.inf):
            raise InvalidValueError(f"expected_shares[{index}]", weight, "a positive share")
    threshold = probability("threshold", threshold)
    total = sum(counts)
    if total == 0:
        raise InvalidValueError("observed", counts, "at least one assignment")
    weight_sum = math.fsum(expected_shares)
    shares = tuple(float(w) / weight_sum for w in expected_shares)
    statistic = math.fsum((c - total * s) ** 2 / (total * s) for c, s in zip(counts, shares, strict=True))
    p_value = chi_square_sf(statistic, len(counts) - 1.0)
    return SampleRatioResult(statistic, p_value, counts, shares, threshold)

"""Benjamini-Hochberg false discovery rate control across the metrics and arms of an experiment.

Step-up procedure (Benjamini & Hochberg 1995): with m p-values sorted p(1) <= ... <= p(m), the adjusted
value of p(i) is min over j >= i of m p(j) / j, capped at 1 (scipy.stats.false_discovery_control,
method="bh"); a hypothesis is rejected when its adjusted p-value is <= q. Design default q = 10 %.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.samples import probability, sample

FDR_Q = 0.10


@frozen
class BenjaminiHochbergResult:
    """Adjusted p-values and rejections, in the order the p-values were given."""

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    q: float

    @property
    def summary(self) -> str:
        return f"Benjamini-Hochberg at q = {self.q:g}: {sum(self.rejected)} of {len(self.p_values)} rejected"


def benjamini_hochberg(p_values: Iterable[float], *, q: float = FDR_Q) -> BenjaminiHochbergResult:
    """Adjust p-values for the false discovery rate and reject those with adjusted p <= q."""
    ps = sample("p_values", p_values)
    for index, p in enumerate(ps):
        probability(f"p_values[{index}]", p, open_interval=False)
    q = probability("q", q)
    m = len(ps)
    order = sorted(range(m), key=ps.__getitem__)
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        index = order[rank - 1]
        running = min(running, ps[index] * m / rank)
        adjusted[index] = running
    return BenjaminiHochbergResult(ps, tuple(adjusted), tuple(a <= q for a in adjusted), q)

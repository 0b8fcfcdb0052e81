"""Two-proportion z test for hit rates.

Reference: z^2 is Pearson's chi-square of the 2x2 table without continuity correction, so the statistic is
checked against scipy.stats.chi2_contingency(correction=False) and the two-sided p-value equals its p-value;
one-sided p-values against scipy.stats.norm. Tolerance 1e-10 relative.
"""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.proportions import two_proportion_z_test, two_proportion_z_test_outcomes
from galfriday.errors import InvalidValueError

RTOL = 1e-10


@settings(max_examples=200, deadline=None)
@given(
    n1=st_h.integers(1, 100_000),
    n2=st_h.integers(1, 100_000),
    r1=st_h.floats(0, 1),
    r2=st_h.floats(0, 1),
)
def test_z_squared_is_pearsons_chi_square(n1: int, n2: int, r1: float, r2: float) -> None:
    x1, x2 = round(r1 * n1), round(r2 * n2)
    result = two_proportion_z_test(x1, n1, x2, n2)
    if x1 + x2 in (0, n1 + n2):
        assert (result.statistic, result.p_value) == (0.0, 1.0)
        return
    chi2, p_value, _, _ = st.chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
    assert math.isclose(result.statistic**2, chi2, rel_tol=RTOL, abs_tol=1e-12)
    assert math.isclose(result.p_value, p_value, rel_tol=RTOL, abs_tol=1e-15)


def test_a_one_point_lift_on_large_arms() -> None:
    result = two_proportion_z_test(5_600, 10_000, 5_500, 10_000, alternative="greater")  # type: ignore[arg-type]
    pooled = 0.555
    z = 0.01 / math.sqrt(pooled * (1 - pooled) * 2 / 10_000)
    assert math.isclose(result.statistic, z, rel_tol=1e-12)
    assert math.isclose(result.p_value, st.norm.sf(z), rel_tol=RTOL)
    assert result.difference == pytest.approx(0.01)
    low, high = result.interval
    half = st.norm.ppf(0.975) * math.sqrt(0.56 * 0.44 / 10_000 + 0.55 * 0.45 / 10_000)
    assert (low, high) == pytest.approx((0.01 - half, 0.01 + half), rel=1e-12)


def test_outcomes_are_counted() -> None:
    result = two_proportion_z_test_outcomes([True, True, False, True], [True, False, False, False])
    assert (result.challenger_rate, result.champion_rate) == (0.75, 0.25)
    assert "+50.00 pp" in result.summary


@pytest.mark.parametrize(
    "args", [(5, 4, 1, 4), (-1, 4, 1, 4), (1, 0, 1, 4), (1, 4, 1, 4, "sideways")]
)
def test_bad_counts_raise_invalid_value(args: tuple[object, ...]) -> None:
    x1, n1, x2, n2, *alternative = args
    with pytest.raises(InvalidValueError):
        two_proportion_z_test(x1, n1, x2, n2, alternative=alternative[0] if alternative else "two-sided")  # type: ignore[arg-type]

"""Mann-Whitney U, normal approximation with tie and continuity corrections.

Reference: scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True). U is compared exactly (sums
of midranks are exact in floating point at these sizes), p-values to 1e-10 relative.
"""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.alternative import Alternative
from galfriday.domain.statistics.mann_whitney import mann_whitney_u, midranks
from galfriday.errors import InvalidValueError

RTOL = 1e-10

tied_values = st_h.lists(st_h.integers(-5, 5).map(float), min_size=1, max_size=80)
spread_values = st_h.lists(st_h.floats(-1e3, 1e3), min_size=1, max_size=80)


@settings(max_examples=150, deadline=None)
@given(
    a=st_h.one_of(tied_values, spread_values),
    b=st_h.one_of(tied_values, spread_values),
    alternative=st_h.sampled_from(["two-sided", "less", "greater"]),
)
def test_matches_scipy_asymptotic(a: list[float], b: list[float], alternative: str) -> None:
    if len(set(a + b)) == 1:
        return  # every value tied: scipy divides by zero, we report no evidence (tested below)
    result = mann_whitney_u(a, b, alternative=Alternative(alternative))
    expected = st.mannwhitneyu(a, b, method="asymptotic", use_continuity=True, alternative=alternative)
    assert result.statistic == expected.statistic
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL, abs_tol=1e-300)


def test_a_shifted_arm_is_detected() -> None:
    champion = [float(v) for v in range(100)]
    challenger = [v + 30 for v in champion]
    result = mann_whitney_u(challenger, champion, alternative=Alternative.GREATER)
    assert result.p_value < 1e-6
    assert result.probability_of_superiority > 0.6
    assert "P(challenger > champion)" in result.summary


def test_all_values_tied_is_no_evidence() -> None:
    result = mann_whitney_u([1.0, 1.0], [1.0, 1.0, 1.0])
    assert (result.z, result.p_value) == (0.0, 1.0)


def test_midranks_share_the_average_rank_of_ties() -> None:
    ranks, ties = midranks((3.0, 1.0, 3.0, 2.0))
    assert ranks == [3.5, 1.0, 3.5, 2.0]
    assert sorted(ties) == [1, 1, 2]


@pytest.mark.parametrize(("a", "b"), [([], [1.0]), ([1.0], [math.nan]), ([True], [1.0])])
def test_bad_samples_raise_invalid_value(a: list[float], b: list[float]) -> None:
    with pytest.raises(InvalidValueError):
        mann_whitney_u(a, b)

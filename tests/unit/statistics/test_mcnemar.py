"""McNemar's test: exact below 100 discordant pairs, continuity-corrected chi-square from 100 on.

Tolerances: exact p-values are exact rationals (compared with ==) and match scipy.stats.binomtest to 1e-12;
chi-square p-values match scipy.stats.chi2.sf to 1e-12.
"""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.mcnemar import mcnemar, mcnemar_from_counts
from galfriday.errors import InvalidValueError


def test_agresti_presidential_approval_example() -> None:
    """Agresti (2007), An Introduction to Categorical Data Analysis, 8.1: 1600 people asked twice;
    150 approved then disapproved, 86 disapproved then approved. Worked by hand:
    (|150 - 86| - 1)^2 / (150 + 86) = 63^2 / 236 = 16.8178,
    p = P(chi2_1 > 16.8178) = erfc(sqrt(16.8178 / 2)) = 4.115e-5."""
    result = mcnemar_from_counts(150, 86, n=1600)
    assert not result.exact
    assert result.statistic == 3969 / 236
    assert result.p_value == pytest.approx(4.115e-5, rel=1e-3)
    assert result.p_value == pytest.approx(st.chi2.sf(3969 / 236, 1), rel=1e-12)


def test_small_exact_example_worked_by_hand() -> None:
    """b = 1, c = 9: p = 2 (C(10,0) + C(10,1)) / 2^10 = 22 / 1024."""
    result = mcnemar_from_counts(1, 9)
    assert result.exact
    assert result.statistic == 1.0
    assert result.p_value == 22 / 1024


def test_no_discordant_pairs_means_no_evidence() -> None:
    result = mcnemar_from_counts(0, 0, n=50)
    assert result.p_value == 1.0
    assert result.discordant == 0


def test_ninety_nine_discordant_pairs_are_exact_and_a_hundred_are_not() -> None:
    assert mcnemar_from_counts(40, 59).exact
    assert not mcnemar_from_counts(40, 60).exact


def test_equal_counts_follow_statsmodels_unclamped_correction() -> None:
    result = mcnemar_from_counts(60, 60)
    assert result.statistic == 1 / 120
    assert result.p_value == pytest.approx(st.chi2.sf(1 / 120, 1), rel=1e-12)


def test_counts_are_taken_from_paired_outcomes() -> None:
    champion = [True, True, False, False, True, False]
    challenger = [True, False, True, True, True, False]
    result = mcnemar(champion, challenger)
    assert (result.champion_only, result.challenger_only, result.n) == (1, 2, 6)


@settings(max_examples=200, deadline=None)
@given(b=st_h.integers(0, 99), c=st_h.integers(0, 99))
def test_exact_p_values_match_binomtest(b: int, c: int) -> None:
    if b + c >= 100:
        return
    result = mcnemar_from_counts(b, c)
    expected = st.binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0
    assert math.isclose(result.p_value, expected, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(b=st_h.integers(0, 5000), c=st_h.integers(0, 5000))
def test_chi_square_p_values_match_scipy(b: int, c: int) -> None:
    if b + c < 100:
        return
    result = mcnemar_from_counts(b, c)
    expected = st.chi2.sf((abs(b - c) - 1) ** 2 / (b + c), 1)
    assert math.isclose(result.p_value, expected, rel_tol=1e-12, abs_tol=1e-300)


def test_summary_names_the_method_and_the_p_value() -> None:
    assert "exact binomial" in mcnemar_from_counts(1, 9).summary
    assert "p = 0.02148" in mcnemar_from_counts(1, 9).summary


@pytest.mark.parametrize(
    ("champion", "challenger"),
    [([], []), ([True, False], [True]), ([True, 1], [True, False])],
)
def test_bad_outcomes_raise_invalid_value(champion: list[object], challenger: list[object]) -> None:
    with pytest.raises(InvalidValueError):
        mcnemar(champion, challenger)  # type: ignore[arg-type]


def test_negative_counts_raise_invalid_value() -> None:
    with pytest.raises(InvalidValueError, match="champion_only"):
        mcnemar_from_counts(-1, 3)

"""Special functions agree with scipy.special and scipy.stats.

Tolerances (relative, plus an absolute floor where values underflow): normal, Student t and chi-square
1e-12; incomplete beta 1e-11; incomplete gamma 1e-10 (for a in the thousands scipy itself is only good to
~1e-11: an mpmath check showed ours within 1e-14 there); quantiles 1e-12 relative or 1e-13 absolute.
"""

from __future__ import annotations

import math

import pytest
import scipy.special as sp
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics import special
from galfriday.errors import InvalidValueError

CDF_RTOL = 1e-12
BETA_RTOL = 1e-11
GAMMA_RTOL = 1e-10
QUANTILE_RTOL, QUANTILE_ATOL = 1e-12, 1e-13
TINY = 1e-290  # below this scipy and we may disagree about underflow

shape = st_h.floats(min_value=0.05, max_value=5e3)
unit = st_h.floats(min_value=0.0, max_value=1.0, allow_subnormal=False)  # scipy loses digits there; see below
degrees = st_h.floats(min_value=0.5, max_value=1e7)
levels = st_h.floats(min_value=1e-12, max_value=1 - 1e-12).filter(lambda p: p != 0.5)


def close(ours: float, theirs: float, rtol: float, atol: float = TINY) -> bool:
    return math.isclose(ours, float(theirs), rel_tol=rtol, abs_tol=atol)


# --- fixed values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "df", "table"), [(0.975, 10, 2.228), (0.975, 1, 12.706), (0.95, 30, 1.697), (0.995, 3, 5.841)]
)
def test_student_t_quantiles_match_scipy_and_the_printed_tables(p: float, df: float, table: float) -> None:
    ours = special.student_t_quantile(p, df)
    assert close(ours, st.t.ppf(p, df), QUANTILE_RTOL)
    assert round(ours, 3) == table


def test_the_normal_quantile_of_0_975_is_1_96() -> None:
    assert close(special.normal_quantile(0.975), 1.959963984540054, 1e-15)


def test_the_chi_square_critical_value_at_5_percent_on_1_df() -> None:
    assert close(special.chi_square_sf(3.841458820694124, 1), 0.05, 1e-13)


def test_quantile_endpoints_are_infinite() -> None:
    assert special.normal_quantile(0.0) == -math.inf
    assert special.normal_quantile(1.0) == math.inf
    assert special.student_t_quantile(1.0, 4) == math.inf


def test_large_degrees_of_freedom_keep_full_precision() -> None:
    """The case a continued fraction alone gets wrong by ~df * 1e-16 (see _beta_large_a_small_b)."""
    for df in (1e4, 1e6, 1e9):
        for t in (-5.0, -1.96, -0.3, 0.7, 2.5):
            assert close(special.student_t_cdf(t, df), st.t.cdf(t, df), CDF_RTOL)
            assert close(special.student_t_sf(t, df), st.t.sf(t, df), CDF_RTOL)


def test_tiny_upper_tails_keep_relative_precision() -> None:
    assert close(special.student_t_sf(40.0, 5), st.t.sf(40.0, 5), CDF_RTOL)
    assert close(special.normal_sf(30.0), st.norm.sf(30.0), CDF_RTOL)
    assert close(special.chi_square_sf(400.0, 3), st.chi2.sf(400.0, 3), CDF_RTOL)


@pytest.mark.parametrize(
    "call",
    [
        lambda: special.regularized_beta(0.0, 1.0, 0.5),
        lambda: special.regularized_beta(1.0, 1.0, 1.5),
        lambda: special.regularized_gamma_p(2.0, math.nan),
        lambda: special.student_t_cdf(1.0, -3.0),
        lambda: special.normal_quantile(1.2),
        lambda: special.chi_square_sf(math.nan, 2),
    ],
)
def test_bad_arguments_raise_invalid_value(call: object) -> None:
    with pytest.raises(InvalidValueError):
        call()  # type: ignore[operator]


# --- generated values ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(a=shape, b=shape, x=unit)
def test_regularized_beta_matches_betainc(a: float, b: float, x: float) -> None:
    assert close(special.regularized_beta(a, b, x), sp.betainc(a, b, x), BETA_RTOL)


def test_regularized_beta_keeps_the_power_law_at_subnormal_x_where_scipy_loses_digits() -> None:
    """As x -> 0, I_x(a, b) ~ C x^a: from x = 1e-300 down to the smallest subnormal the ratio is (x / 1e-300)^a.
    scipy's betainc(0.1, 50, 5e-324) is 1.1e-3 off that line; ours is within 1e-13."""
    a, b = 0.1, 50.0
    anchor = special.regularized_beta(a, b, 1e-300)
    for x in (1e-310, 1e-320, 5e-324):
        expected = anchor * math.exp(a * (math.log(x) - math.log(1e-300)))
        assert close(special.regularized_beta(a, b, x), expected, 1e-13, 0.0)


@settings(max_examples=300, deadline=None)
@given(a=shape, scale=st_h.floats(min_value=0.0, max_value=4.0))
def test_regularized_gamma_matches_gammainc_and_gammaincc(a: float, scale: float) -> None:
    x = a * scale
    assert close(special.regularized_gamma_p(a, x), sp.gammainc(a, x), GAMMA_RTOL)
    assert close(special.regularized_gamma_q(a, x), sp.gammaincc(a, x), GAMMA_RTOL)


@settings(max_examples=300, deadline=None)
@given(x=st_h.floats(min_value=-37.0, max_value=37.0))
def test_normal_cdf_and_sf_match_scipy(x: float) -> None:
    assert close(special.normal_cdf(x), st.norm.cdf(x), CDF_RTOL)
    assert close(special.normal_sf(x), st.norm.sf(x), CDF_RTOL)


@settings(max_examples=300, deadline=None)
@given(p=st_h.floats(min_value=1e-300, max_value=1.0, exclude_max=True))
def test_normal_quantile_matches_norm_ppf(p: float) -> None:
    assert close(special.normal_quantile(p), st.norm.ppf(p), QUANTILE_RTOL, QUANTILE_ATOL)


@settings(max_examples=300, deadline=None)
@given(t=st_h.floats(min_value=-1e6, max_value=1e6), df=degrees)
def test_student_t_cdf_and_sf_match_scipy(t: float, df: float) -> None:
    assert close(special.student_t_cdf(t, df), st.t.cdf(t, df), CDF_RTOL)
    assert close(special.student_t_sf(t, df), st.t.sf(t, df), CDF_RTOL)


@settings(max_examples=300, deadline=None)
@given(p=levels, df=degrees)
def test_student_t_quantile_matches_t_ppf(p: float, df: float) -> None:
    assert close(special.student_t_quantile(p, df), st.t.ppf(p, df), QUANTILE_RTOL, QUANTILE_ATOL)


@settings(max_examples=300, deadline=None)
@given(x=st_h.floats(min_value=0.0, max_value=1e3), df=st_h.floats(min_value=0.5, max_value=200.0))
def test_chi_square_sf_and_cdf_match_scipy(x: float, df: float) -> None:
    assert close(special.chi_square_sf(x, df), st.chi2.sf(x, df), CDF_RTOL)
    assert close(special.chi_square_cdf(x, df), st.chi2.cdf(x, df), CDF_RTOL)

"""Sample-ratio mismatch by chi-square goodness of fit; reference scipy.stats.chisquare, tolerance 1e-10."""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.sample_ratio import sample_ratio_mismatch
from galfriday.errors import InvalidValueError

RTOL = 1e-10


@settings(max_examples=150, deadline=None)
@given(
    observed=st_h.lists(st_h.integers(0, 1_000_000), min_size=2, max_size=6),
    weights=st_h.lists(st_h.floats(0.01, 100.0), min_size=6, max_size=6),
)
def test_matches_scipy_chisquare(observed: list[int], weights: list[float]) -> None:
    total = sum(observed)
    if total == 0:
        return
    shares = weights[: len(observed)]
    result = sample_ratio_mismatch(observed, shares)
    expected = st.chisquare(observed, [total * w / sum(shares) for w in shares])
    assert math.isclose(result.statistic, expected.statistic, rel_tol=RTOL, abs_tol=1e-9)
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL, abs_tol=1e-300)


def test_a_faithful_canary_split_passes() -> None:
    result = sample_ratio_mismatch([9_480, 520], [0.95, 0.05])
    assert not result.mismatch
    assert "ok" in result.summary


def test_a_broken_split_is_a_mismatch() -> None:
    """50/50 configured, 50.8/49.2 delivered on 100,000: chi-square 25.6, p = 4e-7 < 0.001."""
    result = sample_ratio_mismatch([50_800, 49_200], [1, 1])
    assert result.statistic == pytest.approx(25.6)
    assert result.mismatch
    assert "MISMATCH" in result.summary


def test_the_threshold_is_strict() -> None:
    result = sample_ratio_mismatch([50_800, 49_200], [1, 1], threshold=1e-7)
    assert not result.mismatch


@pytest.mark.parametrize(
    ("observed", "shares"),
    [([10], [1.0]), ([10, 12], [0.5]), ([10, -1], [1, 1]), ([0, 0], [1, 1]), ([5, 5], [1, 0]), ([5, 5], [1, math.nan])],
)
def test_bad_input_raises_invalid_value(observed: list[int], shares: list[float]) -> None:
    with pytest.raises(InvalidValueError):
        sample_ratio_mismatch(observed, shares)

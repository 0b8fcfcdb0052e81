"""Benjamini-Hochberg step-up; adjusted p-values against scipy.stats.false_discovery_control (1e-12)."""

from __future__ import annotations

import math

import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.multiple_testing import benjamini_hochberg
from galfriday.errors import InvalidValueError


@settings(max_examples=200, deadline=None)
@given(p_values=st_h.lists(st_h.floats(0.0, 1.0), min_size=1, max_size=60))
def test_adjusted_p_values_match_scipy(p_values: list[float]) -> None:
    result = benjamini_hochberg(p_values)
    expected = st.false_discovery_control(p_values, method="bh")
    for ours, theirs in zip(result.adjusted, expected, strict=True):
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-300)


def test_step_up_rejects_everything_below_the_largest_passing_rank() -> None:
    """m = 5, q = 0.10: thresholds 0.02, 0.04, 0.06, 0.08, 0.10. p(4) = 0.07 <= 0.08, so the first four go,
    although p(3) = 0.065 alone exceeds its threshold 0.06."""
    result = benjamini_hochberg([0.07, 0.01, 0.5, 0.065, 0.03], q=0.10)
    assert result.rejected == (True, True, False, True, True)
    assert result.summary == "Benjamini-Hochberg at q = 0.1: 4 of 5 rejected"


def test_the_default_rate_is_ten_percent() -> None:
    assert benjamini_hochberg([0.5]).q == 0.10


@pytest.mark.parametrize(("p_values", "q"), [([], 0.1), ([0.2, 1.2], 0.1), ([math.nan], 0.1), ([0.2], 0.0)])
def test_bad_input_raises_invalid_value(p_values: list[float], q: float) -> None:
    with pytest.raises(InvalidValueError):
        benjamini_hochberg(p_values, q=q)

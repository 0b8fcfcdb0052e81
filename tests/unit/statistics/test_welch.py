"""Welch's t test on pooled-winsorised values, and the winsorising itself.

Reference: scipy.stats.mstats.winsorize(limits=(0.01, 0.01)) on the pooled values, split back into the arms,
then scipy.stats.ttest_ind(equal_var=False) with its confidence_interval. Tolerance 1e-10 relative (1e-12
absolute for p-values that underflow).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy.stats import mstats

from galfriday.domain.statistics.alternative import Alternative
from galfriday.domain.statistics.welch import welch_t_test, winsorize
from galfriday.errors import InvalidValueError

RTOL = 1e-10


def scipy_reference(
    challenger: np.ndarray, champion: np.ndarray, alternative: str = "two-sided"
) -> st._result_classes.TtestResult:
    pooled = np.asarray(mstats.winsorize(np.concatenate([challenger, champion]), limits=(0.01, 0.01)))
    return st.ttest_ind(pooled[: challenger.size], pooled[challenger.size :], equal_var=False, alternative=alternative)


def fat_tailed_pnl(seed: int, n_a: int, n_b: int, lift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_t(3, size=n_a) * 10 + lift, rng.standard_t(3, size=n_b) * 10


def test_matches_scipy_on_fat_tailed_pnl() -> None:
    challenger, champion = fat_tailed_pnl(1, 800, 700, lift=1.5)
    result = welch_t_test(challenger.tolist(), champion.tolist())
    expected = scipy_reference(challenger, champion)
    assert math.isclose(result.statistic, expected.statistic, rel_tol=RTOL)
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL)
    assert math.isclose(result.df, expected.df, rel_tol=RTOL)
    interval = expected.confidence_interval(0.95)
    assert result.interval == pytest.approx((interval.low, interval.high), rel=RTOL)


@settings(max_examples=80, deadline=None)
@given(
    seed=st_h.integers(0, 10_000),
    n_a=st_h.integers(2, 400),
    n_b=st_h.integers(2, 400),
    lift=st_h.floats(-5, 5),
    alternative=st_h.sampled_from(["two-sided", "less", "greater"]),
)
def test_matches_scipy_on_generated_samples(seed: int, n_a: int, n_b: int, lift: float, alternative: str) -> None:
    challenger, champion = fat_tailed_pnl(seed, n_a, n_b, lift)
    result = welch_t_test(challenger.tolist(), champion.tolist(), alternative=Alternative(alternative))
    expected = scipy_reference(challenger, champion, alternative)
    assert math.isclose(result.statistic, expected.statistic, rel_tol=RTOL, abs_tol=1e-12)
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL, abs_tol=1e-12)


def test_without_winsorising_it_is_plain_welch() -> None:
    challenger, champion = fat_tailed_pnl(2, 300, 200, lift=2.0)
    result = welch_t_test(challenger.tolist(), champion.tolist(), limits=None)
    expected = st.ttest_ind(challenger, champion, equal_var=False)
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL)


def test_winsorising_clips_the_outliers_that_would_dominate() -> None:
    champion = [1.0] * 99 + [0.0]
    challenger = [1.0] * 99 + [10_000.0]  # one lucky fill
    assert welch_t_test(challenger, champion).mean_difference == pytest.approx(0.0, abs=0.02)
    assert welch_t_test(challenger, champion, limits=None).mean_difference > 99


@settings(max_examples=100, deadline=None)
@given(
    values=st_h.lists(st_h.floats(-1e6, 1e6), min_size=1, max_size=500),
    low=st_h.sampled_from([0.0, 0.01, 0.05, 0.2]),
    high=st_h.sampled_from([0.0, 0.01, 0.05, 0.2]),
)
def test_winsorize_matches_scipy_mstats(values: list[float], low: float, high: float) -> None:
    expected = np.asarray(mstats.winsorize(np.array(values), limits=(low, high))).tolist()
    assert list(winsorize(values, (low, high))) == expected


def test_winsorize_keeps_the_order_of_the_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    clipped = winsorize(values)
    assert clipped[0] == 99.0
    assert clipped[-1] == 2.0
    assert clipped[1:-1] == tuple(values[1:-1])


def test_constant_arms_have_a_certain_difference() -> None:
    result = welch_t_test([2.0, 2.0, 2.0], [1.0, 1.0], limits=None)
    assert result.statistic == math.inf
    assert result.p_value == 0.0


def test_summary_gives_difference_interval_and_p() -> None:
    challenger, champion = fat_tailed_pnl(4, 100, 100, lift=3.0)
    summary = welch_t_test(challenger.tolist(), champion.tolist()).summary
    assert summary.startswith("Welch t (winsorised): challenger - champion = +")
    assert "95%" in summary


@pytest.mark.parametrize(
    ("challenger", "champion", "kwargs"),
    [
        ([1.0], [1.0, 2.0], {}),
        ([1.0, math.inf], [1.0, 2.0], {}),
        ([1.0, 2.0], [1.0, math.nan], {}),
        ([1.0, 2.0], [1.0, 2.0], {"confidence": 1.0}),
        ([1.0, 2.0], [1.0, 2.0], {"limits": (0.6, 0.0)}),
        ([1.0, 2.0], [1.0, 2.0], {"alternative": "bigger"}),
    ],
)
def test_bad_input_raises_invalid_value(
    challenger: list[float], champion: list[float], kwargs: dict[str, object]
) -> None:
    with pytest.raises(InvalidValueError):
        welch_t_test(challenger, champion, **kwargs)  # type: ignore[arg-type]

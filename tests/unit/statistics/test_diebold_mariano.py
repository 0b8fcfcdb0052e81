"""Diebold-Mariano with Newey-West variance and the Harvey-Leybourne-Newbold correction.

Reference computed here with numpy: d = challenger - champion, g_k = sum_{t>=k} (d_t - mean)(d_{t-k} - mean)/n,
LRV = g_0 + 2 sum_{k=1..L} (1 - k/(L+1)) g_k, DM = mean(d) / sqrt(LRV/n), HLN = DM sqrt((n+1-2h+h(h-1)/n)/n),
p = 2 P(T_{n-1} > |HLN|). Tolerance 1e-10 relative. With no lags and h = 1 the statistic is exactly the paired
t statistic, so it is also checked against scipy.stats.ttest_rel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from galfriday.domain.statistics.alternative import Alternative
from galfriday.domain.statistics.diebold_mariano import diebold_mariano, newey_west_lags
from galfriday.errors import InvalidValueError

RTOL = 1e-10


def reference(champion: np.ndarray, challenger: np.ndarray, lags: int, h: int = 1) -> tuple[float, float]:
    d = challenger - champion
    n = d.size
    dc = d - d.mean()
    gamma = [float(dc[k:] @ dc[: n - k]) / n for k in range(lags + 1)]
    lrv = gamma[0] + 2 * sum((1 - k / (lags + 1)) * gamma[k] for k in range(1, lags + 1))
    hln = d.mean() / math.sqrt(lrv / n) * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return hln, 2 * st.t.sf(abs(hln), n - 1)


def autocorrelated_losses(seed: int, n: int, edge: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shock = rng.normal(size=n)
    common = np.zeros(n)
    for t in range(1, n):  # AR(1) in the loss differential, as overlapping outcomes produce
        common[t] = 0.6 * common[t - 1] + shock[t]
    champion = rng.gamma(2.0, 0.1, size=n)
    challenger = champion + 0.05 * common - edge
    return champion, challenger


def test_matches_the_numpy_reference_on_autocorrelated_losses() -> None:
    champion, challenger = autocorrelated_losses(7, 400, edge=0.01)
    result = diebold_mariano(champion.tolist(), challenger.tolist())
    statistic, p_value = reference(champion, challenger, lags=8)
    assert result.lags == 8  # ceil(400 ** (1/3)) = ceil(7.37)
    assert math.isclose(result.statistic, statistic, rel_tol=RTOL)
    assert math.isclose(result.p_value, p_value, rel_tol=RTOL)
    assert result.mean_difference < 0  # the challenger's loss is lower


@settings(max_examples=60, deadline=None)
@given(
    seed=st_h.integers(0, 10_000),
    n=st_h.integers(8, 600),
    edge=st_h.floats(-0.05, 0.05),
    horizon=st_h.integers(1, 3),
)
def test_matches_the_numpy_reference_on_generated_losses(seed: int, n: int, edge: float, horizon: int) -> None:
    champion, challenger = autocorrelated_losses(seed, n, edge)
    result = diebold_mariano(champion.tolist(), challenger.tolist(), horizon=horizon)
    statistic, p_value = reference(champion, challenger, lags=result.lags, h=horizon)
    assert math.isclose(result.statistic, statistic, rel_tol=RTOL, abs_tol=1e-12)
    assert math.isclose(result.p_value, p_value, rel_tol=RTOL, abs_tol=1e-15)


def test_without_lags_it_is_the_paired_t_test() -> None:
    champion, challenger = autocorrelated_losses(3, 250, edge=0.005)
    result = diebold_mariano(champion.tolist(), challenger.tolist(), lags=0)
    expected = st.ttest_rel(challenger, champion)
    assert math.isclose(result.statistic, expected.statistic, rel_tol=RTOL)
    assert math.isclose(result.p_value, expected.pvalue, rel_tol=RTOL)


@pytest.mark.parametrize(("n", "lags"), [(3, 2), (8, 2), (9, 3), (27, 3), (28, 4), (1000, 10), (1001, 11)])
def test_default_lags_are_the_ceiling_of_the_cube_root(n: int, lags: int) -> None:
    assert newey_west_lags(n) == lags


def test_one_sided_less_asks_whether_the_challenger_loses_less() -> None:
    champion, challenger = autocorrelated_losses(11, 500, edge=0.02)
    two_sided = diebold_mariano(champion.tolist(), challenger.tolist())
    less = diebold_mariano(champion.tolist(), challenger.tolist(), alternative=Alternative.LESS)
    greater = diebold_mariano(champion.tolist(), challenger.tolist(), alternative="greater")  # type: ignore[arg-type]
    assert less.p_value == pytest.approx(two_sided.p_value / 2, rel=1e-9)
    assert greater.p_value == pytest.approx(1 - less.p_value, rel=1e-9)


def test_identical_losses_give_no_evidence() -> None:
    losses = [0.2, 0.3, 0.1, 0.25]
    result = diebold_mariano(losses, losses)
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_a_constant_noiseless_advantage_is_certain() -> None:
    result = diebold_mariano([0.5, 0.25, 0.75, 1.0], [0.25, 0.0, 0.5, 0.75])
    assert result.statistic == -math.inf
    assert result.p_value == 0.0


def test_summary_reads_as_a_conclusion() -> None:
    champion, challenger = autocorrelated_losses(5, 100, edge=0.02)
    summary = diebold_mariano(champion.tolist(), challenger.tolist()).summary
    assert "challenger lower" in summary
    assert "Diebold-Mariano" in summary


@pytest.mark.parametrize(
    ("champion", "challenger", "kwargs"),
    [
        ([0.1, 0.2, 0.3], [0.1, 0.2], {}),
        ([0.1, math.nan, 0.3], [0.1, 0.2, 0.3], {}),
        ([0.1, 0.2], [0.1, 0.2], {}),
        ([0.1, 0.2, 0.3], [0.2, 0.1, 0.3], {"lags": 3}),
        ([0.1, 0.2, 0.3], [0.2, 0.1, 0.3], {"horizon": 0}),
    ],
)
def test_bad_input_raises_invalid_value(
    champion: list[float], challenger: list[float], kwargs: dict[str, int]
) -> None:
    with pytest.raises(InvalidValueError):
        diebold_mariano(champion, challenger, **kwargs)  # type: ignore[arg-type]

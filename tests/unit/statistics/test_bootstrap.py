"""Percentile bootstrap interval of a difference in means, iid and moving-block.

scipy.stats.bootstrap draws from numpy's generator, so intervals agree only up to Monte Carlo error: with
10,000 resamples an endpoint's standard error is about 0.03 standard errors of the difference; the
tolerance is 0.15 of that standard error.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import scipy.stats as st

from galfriday.domain.statistics.bootstrap import bootstrap_mean_difference
from galfriday.errors import InvalidValueError

# scipy 1.15 renamed random_state to rng; the dev extra allows scipy >= 1.11.
SEED_KEYWORD = "rng" if "rng" in inspect.signature(st.bootstrap).parameters else "random_state"


def pnl(seed: int, n: int, lift: float = 0.0) -> list[float]:
    rng = np.random.default_rng(seed)
    return (rng.standard_t(4, size=n) + lift).tolist()


def ar1(seed: int, n: int, phi: float) -> list[float]:
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.normal()
    return x.tolist()


def standard_error(a: list[float], b: list[float]) -> float:
    return math.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))


def test_agrees_with_scipy_percentile_bootstrap_within_monte_carlo_error() -> None:
    challenger, champion = pnl(1, 200, lift=0.3), pnl(2, 150)
    ours = bootstrap_mean_difference(challenger, champion, seed=7)
    theirs = st.bootstrap(
        (challenger, champion),
        lambda a, b, axis: np.mean(a, axis=axis) - np.mean(b, axis=axis),
        method="percentile",
        n_resamples=10_000,
        **{SEED_KEYWORD: np.random.default_rng(7)},
    ).confidence_interval
    tolerance = 0.15 * standard_error(challenger, champion)
    assert ours.resamples == 10_000
    assert abs(ours.lower - theirs.low) < tolerance
    assert abs(ours.upper - theirs.high) < tolerance
    assert ours.estimate == pytest.approx(np.mean(challenger) - np.mean(champion), rel=1e-12)


def test_the_same_seed_gives_the_same_interval() -> None:
    challenger, champion = pnl(3, 100), pnl(4, 100)
    first = bootstrap_mean_difference(challenger, champion, resamples=500, seed=42)
    again = bootstrap_mean_difference(challenger, champion, resamples=500, seed=42)
    other = bootstrap_mean_difference(challenger, champion, resamples=500, seed=43)
    assert first == again
    assert (first.lower, first.upper) != (other.lower, other.upper)


def test_the_interval_is_close_to_the_normal_one_for_a_mean() -> None:
    challenger, champion = pnl(5, 400, lift=0.5), pnl(6, 400)
    result = bootstrap_mean_difference(challenger, champion, resamples=4_000)
    half = 1.96 * standard_error(challenger, champion)
    assert result.upper - result.lower == pytest.approx(2 * half, rel=0.1)
    assert result.lower < result.estimate < result.upper


def test_moving_blocks_widen_the_interval_of_autocorrelated_pnl() -> None:
    challenger, champion = ar1(8, 600, phi=0.6), ar1(9, 600, phi=0.6)
    iid = bootstrap_mean_difference(challenger, champion, resamples=2_000)
    blocks = bootstrap_mean_difference(challenger, champion, resamples=2_000, block_length=20)
    assert (blocks.upper - blocks.lower) > 1.4 * (iid.upper - iid.lower)
    assert blocks.block_length == 20
    assert "moving blocks of 20" in blocks.summary


def test_excludes_tells_whether_a_value_is_outside() -> None:
    result = bootstrap_mean_difference(pnl(10, 300, lift=2.0), pnl(11, 300), resamples=1_000)
    assert result.excludes(0.0)
    assert not result.excludes(result.estimate)


@pytest.mark.parametrize(
    "kwargs", [{"resamples": 1}, {"confidence": 0.0}, {"block_length": 0}, {"block_length": 4}]
)
def test_bad_settings_raise_invalid_value(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidValueError):
        bootstrap_mean_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("challenger", "champion"), [([], [1.0]), ([1.0, math.nan], [1.0])])
def test_bad_samples_raise_invalid_value(challenger: list[float], champion: list[float]) -> None:
    with pytest.raises(InvalidValueError):
        bootstrap_mean_difference(challenger, champion)

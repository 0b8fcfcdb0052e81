"""PSI on reference-quantile bins: agrees with a numpy reference, stays quiet without drift, fires with it."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from galfriday.domain.drift.psi import (
    PSI_EPSILON,
    DriftLevel,
    PsiReference,
    bin_counts,
    psi,
    psi_level,
    quantile,
)
from galfriday.errors import InvalidValueError

SEEDS = range(200)


def numpy_psi(reference: np.ndarray, window: np.ndarray, bins: int = 10) -> float:
    """The reference computation: numpy deciles, searchsorted bins, zero shares replaced by epsilon."""
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))
    expected = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    actual = np.bincount(np.searchsorted(edges, window, side="right"), minlength=len(edges) + 1)
    e = expected / len(reference)
    a = actual / len(window)
    e = np.where(e == 0, PSI_EPSILON, e)
    a = np.where(a == 0, PSI_EPSILON, a)
    return float(np.sum((a - e) * np.log(a / e)))


def gauss(seed: int, n: int, mean: float = 0.0, sd: float = 1.0) -> list[float]:
    values: list[float] = np.random.default_rng(seed).normal(mean, sd, size=n).tolist()
    return values


@functools.cache
def reference_for(seed: int) -> PsiReference:
    return PsiReference.from_sample(gauss(seed, 5_000))


@pytest.mark.parametrize("n", [1, 2, 7, 10, 11, 101, 1000, 1001])
def test_quantiles_are_numpys_linear_quantiles(n: int) -> None:
    data = sorted(np.random.default_rng(n).normal(size=n).round(1).tolist())
    for q in np.arange(1, 10) / 10:
        assert quantile(data, float(q)) == np.quantile(data, q)


def test_edges_are_the_reference_deciles() -> None:
    data = gauss(1, 2_000)
    reference = PsiReference.from_sample(data)
    assert reference.edges == tuple(np.quantile(data, np.arange(1, 10) / 10).tolist())
    assert reference.rows == 2_000
    assert sum(reference.proportions) == pytest.approx(1.0)
    assert all(p == pytest.approx(0.1, abs=1e-3) for p in reference.proportions)


def test_values_on_an_edge_go_to_the_upper_bin_and_outer_bins_are_open() -> None:
    assert bin_counts((0.0, 1.0), [-1e9, -0.5, 0.0, 0.5, 1.0, 1e9]) == [2, 2, 2]


def test_tied_cut_points_merge_bins_for_discrete_features() -> None:
    reference = PsiReference.from_sample([0, 0, 0, 0, 0, 0, 1, 1, 2, 3])
    assert reference.edges == pytest.approx((0.0, 0.4, 1.0, 1.2, 2.1))
    assert reference.proportions == pytest.approx((0.0, 0.6, 0.0, 0.2, 0.1, 0.1))


@pytest.mark.parametrize(
    ("seed", "shift", "scale", "rounding"),
    [(0, 0.0, 1.0, None), (1, 0.3, 1.0, None), (2, 0.0, 2.0, None), (3, 2.5, 1.0, None), (4, 0.2, 1.0, 0)],
)
def test_psi_matches_the_numpy_reference(seed: int, shift: float, scale: float, rounding: int | None) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(size=3_000)
    window = rng.normal(shift, scale, size=700)
    if rounding is not None:  # a discrete feature: tied edges and empty bins
        reference, window = reference.round(rounding), window.round(rounding)
    ours = psi(PsiReference.from_sample(reference.tolist()), window.tolist())
    assert ours == pytest.approx(numpy_psi(reference, window), rel=1e-12, abs=1e-15)


def test_the_reference_against_itself_scores_zero() -> None:
    data = gauss(3, 1_000)
    assert psi(PsiReference.from_sample(data), data) == pytest.approx(0.0, abs=1e-4)


def test_a_window_beyond_the_training_range_is_an_alert() -> None:
    reference = PsiReference.from_sample(gauss(4, 1_000))
    assert psi_level(psi(reference, [50.0] * 500)) is DriftLevel.ALERT


@pytest.mark.parametrize(
    ("value", "level"),
    [(0.0, DriftLevel.STABLE), (0.0999, DriftLevel.STABLE), (0.1, DriftLevel.WARN), (0.25, DriftLevel.ALERT)],
)
def test_the_bands_are_warn_from_0_1_and_alert_from_0_25(value: float, level: DriftLevel) -> None:
    assert psi_level(value) is level


def test_nan_is_refused_with_a_hint() -> None:
    reference = PsiReference.from_sample([1.0, 2.0, 3.0])
    with pytest.raises(InvalidValueError, match="impute"):
        psi(reference, [1.0, math.nan])


def psi_rates(shift: float, scale: float) -> tuple[float, float]:
    """Warn and alert rates over 200 seeds: fresh 5,000-row N(0,1) reference, 500-row window per seed."""
    levels = [psi_level(psi(reference_for(seed), gauss(10_000 + seed, 500, shift, scale))) for seed in SEEDS]
    warn = sum(level is not DriftLevel.STABLE for level in levels) / len(levels)
    alert = sum(level is DriftLevel.ALERT for level in levels) / len(levels)
    return warn, alert


def test_no_drift_raises_no_warning() -> None:
    """Measured over 200 seeds (5,000-row reference, 500-row window, same N(0,1)): warn rate 0 %, alert 0 %;
    median PSI 0.018, largest 0.059, well under the 0.1 warning band."""
    warn, alert = psi_rates(0.0, 1.0)
    assert warn <= 0.01
    assert alert == 0.0


def test_a_half_sigma_shift_warns_every_time_and_often_alerts() -> None:
    """Measured over 200 seeds: a 0.5 sd mean shift warns in 100 % of windows and alerts in 61.5 %."""
    warn, alert = psi_rates(0.5, 1.0)
    assert warn >= 0.99
    assert 0.35 <= alert <= 0.75


def test_a_one_sigma_shift_alerts_every_time() -> None:
    """Measured over 200 seeds: a 1 sd mean shift alerts in 100 % of windows (median PSI 0.98, least 0.68)."""
    assert psi_rates(1.0, 1.0)[1] >= 0.99


def test_a_wider_spread_warns() -> None:
    """Measured over 200 seeds: the sd growing by half warns in 99.5 % of windows (median PSI 0.21) and
    alerts in 19 %."""
    assert psi_rates(0.0, 1.5)[0] >= 0.99

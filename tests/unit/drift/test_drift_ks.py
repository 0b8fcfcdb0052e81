"""Two-sample KS: statistic and p-value against scipy, false alarms at the nominal level, power on a shift."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import special, stats

from galfriday.domain.drift.ks import (
    ASYMPTOTIC_TOLERANCE,
    BUDGET_TOLERANCE,
    KS_ALPHA,
    bonferroni_alpha,
    exact_pvalue,
    kolmogorov_sf,
    ks_2samp,
    ks_statistic,
    smirnov_sf,
)
from galfriday.errors import InvalidValueError

SAMPLE_PAIRS = [
    (1, 1, 0.0, None),
    (3, 7, 0.0, None),
    (10, 10, 0.0, None),
    (20, 35, 0.5, None),
    (100, 100, 0.2, None),
    (60, 90, 0.0, 0),  # heavy ties
    (200, 1_000, 0.3, 2),
    (300, 300, 1.0, None),
    (499, 5_000, 0.1, 1),
]


def samples(seed: int, n1: int, n2: int, shift: float, rounding: int | None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n1), rng.normal(shift, size=n2)
    if rounding is not None:
        a, b = a.round(rounding), b.round(rounding)
    return a, b


@pytest.mark.parametrize(("n1", "n2", "shift", "rounding"), SAMPLE_PAIRS)
def test_statistic_and_exact_pvalue_match_scipy(n1: int, n2: int, shift: float, rounding: int | None) -> None:
    a, b = samples(n1 + n2, n1, n2, shift, rounding)
    ours, theirs = ks_2samp(a.tolist(), b.tolist()), stats.ks_2samp(a, b, method="auto")
    assert ours.method == "exact"
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-15)
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-12, abs=1e-300)


def test_the_statistic_is_symmetric_and_zero_for_identical_samples() -> None:
    a, b = samples(5, 40, 70, 0.3, 1)
    assert ks_statistic(a.tolist(), b.tolist()) == ks_statistic(b.tolist(), a.tolist())
    assert ks_2samp(a.tolist(), a.tolist()).pvalue == 1.0


def test_exact_pvalue_of_fully_separated_samples_is_two_over_the_path_count() -> None:
    """Only the two paths along the border reach D = 1: p = 2 / C(n1 + n2, n1)."""
    assert exact_pvalue(5, 7, 35) == pytest.approx(2 / special.comb(12, 5))


@pytest.mark.parametrize("n", [30, 60, 140, 141, 300, 1_000, 3_000])
def test_kolmogorov_sf_matches_scipy_kstwo(n: int) -> None:
    xs = np.linspace(0.001, 0.99, 120)
    gaps = [abs(kolmogorov_sf(n, float(x)) - stats.kstwo.sf(x, n)) for x in xs]
    assert max(gaps) <= ASYMPTOTIC_TOLERANCE


def test_kolmogorov_sf_is_tight_in_the_tail_where_decisions_are_made() -> None:
    for n in (30, 140, 500):
        for x in np.linspace(1.5 / np.sqrt(n), 0.9, 40):
            assert kolmogorov_sf(n, float(x)) == pytest.approx(stats.kstwo.sf(x, n), rel=2e-6)


@pytest.mark.parametrize(("n", "x"), [(10, 0.1), (100, 0.3), (1_000, 0.01), (1_000, 0.1), (10_000, 0.02)])
def test_smirnov_sf_matches_scipy_special_smirnov(n: int, x: float) -> None:
    assert smirnov_sf(n, x) == pytest.approx(special.smirnov(n, x), rel=1e-10)


@pytest.mark.parametrize(("n1", "shift"), [(30, 0.0), (100, 0.0), (499, 0.0), (499, 0.15)])
def test_beyond_10000_rows_scipy_and_we_are_both_asymptotic_and_agree(n1: int, shift: float) -> None:
    a, b = samples(n1, n1, 20_000, shift, None)
    ours, theirs = ks_2samp(a.tolist(), b.tolist()), stats.ks_2samp(a, b)
    assert ours.method == "asymp"
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=ASYMPTOTIC_TOLERANCE)


def test_when_the_exact_count_is_over_budget_the_asymptotic_form_stays_close_to_scipys_exact() -> None:
    a, b = samples(11, 3_000, 3_000, 0.1, None)
    ours, theirs = ks_2samp(a.tolist(), b.tolist()), stats.ks_2samp(a, b, method="exact")
    assert ours.method == "asymp"
    assert ours.pvalue == pytest.approx(theirs.pvalue, abs=BUDGET_TOLERANCE)


def test_a_method_can_be_forced() -> None:
    a, b = samples(3, 50, 80, 0.0, None)
    assert ks_2samp(a.tolist(), b.tolist(), method="asymp").pvalue == pytest.approx(
        stats.ks_2samp(a, b, method="asymp").pvalue, abs=ASYMPTOTIC_TOLERANCE
    )
    with pytest.raises(InvalidValueError):
        ks_2samp([1.0], [2.0], method="fast")


def test_empty_samples_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="non-empty"):
        ks_2samp([], [1.0])


def test_bonferroni_divides_alpha_by_the_number_of_tests() -> None:
    assert bonferroni_alpha(KS_ALPHA, 20) == pytest.approx(0.0005)
    with pytest.raises(InvalidValueError):
        bonferroni_alpha(KS_ALPHA, 0)


@functools.cache
def null_pvalues() -> np.ndarray:
    """p-values of 200 windows x 5 features: 200-row windows against 500-row references, no drift."""
    rng = np.random.default_rng(2024)
    return np.array(
        [
            [ks_2samp(rng.normal(size=200).tolist(), rng.normal(size=500).tolist()).pvalue for _ in range(5)]
            for _ in range(200)
        ]
    )


def test_a_single_feature_false_alarms_at_about_alpha() -> None:
    """Measured over 1,000 null tests (200 seeds x 5 features, 200 vs 500 rows): 0.9 % reject at alpha = 1 %
    (binomial sd 0.3 pp). The p-value is exact, so the rate is at most alpha up to sampling noise."""
    rate = float(np.mean(null_pvalues() < KS_ALPHA))
    assert rate <= KS_ALPHA + 0.01


def test_bonferroni_keeps_the_family_wise_false_alarm_rate_under_alpha() -> None:
    """Measured over 200 null windows of 5 features: 1.0 % of windows flag any feature at alpha / 5."""
    rate = float(np.mean(null_pvalues().min(axis=1) < bonferroni_alpha(KS_ALPHA, 5)))
    assert rate <= KS_ALPHA + 0.01


@pytest.mark.parametrize(("shift", "least_power"), [(0.5, 0.95), (0.3, 0.35)])
def test_a_shifted_feature_is_found_at_the_bonferroni_level(shift: float, least_power: float) -> None:
    """Measured over 200 seeds, 200-row window vs 500-row reference, alpha / 5: a 0.5 sd shift is found in
    97.5 % of windows, a 0.3 sd shift in 45 %."""
    rng = np.random.default_rng(7)
    found = [
        ks_2samp(rng.normal(shift, size=200).tolist(), rng.normal(size=500).tolist()).pvalue
        < bonferroni_alpha(KS_ALPHA, 5)
        for _ in range(200)
    ]
    assert float(np.mean(found)) >= least_power

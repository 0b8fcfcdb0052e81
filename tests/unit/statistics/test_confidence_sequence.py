"""Always-valid confidence sequences (Waudby-Smith et al. 2023, eq. 9 and 161; GrowthBook's form).

Specifications: the half-width is the published formula; it is wider than the fixed-n interval at every n;
under the null, looking after every 10 observations up to 2,000, the sequence ever excludes the true mean in
at most 5 % of 200 seeded runs, where the fixed-n interval looked at the same way does so far more often.
"""

from __future__ import annotations

import math
import random

import pytest
import scipy.stats as st

from galfriday.domain.statistics.confidence_sequence import (
    confidence_sequence,
    confidence_sequence_difference,
    confidence_sequence_paired,
    difference_from_moments,
    from_moments,
    mixture_half_width,
    mixture_rho,
)
from galfriday.errors import InvalidValueError

RUNS, HORIZON, EVERY = 200, 2_000, 10


def published_half_width(sigma: float, n: int, alpha: float, n_star: float) -> float:
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / n_star)
    return sigma * math.sqrt(2 * (n * rho**2 + 1) / (n * rho) ** 2 * math.log(math.sqrt(n * rho**2 + 1) / alpha))


@pytest.mark.parametrize(("n", "alpha", "n_star"), [(10, 0.05, 5_000), (5_000, 0.05, 5_000), (123_456, 0.01, 800)])
def test_half_width_is_the_published_formula(n: int, alpha: float, n_star: float) -> None:
    assert mixture_half_width(1.7, n, alpha=alpha, n_star=n_star) == pytest.approx(
        published_half_width(1.7, n, alpha, n_star), rel=1e-14
    )


def test_rho_for_the_defaults() -> None:
    expected = math.sqrt((-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / 5_000)
    assert mixture_rho() == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("n", [2, 10, 100, 1_000, 5_000, 50_000, 10**7])
def test_it_is_wider_than_the_fixed_n_interval(n: int) -> None:
    fixed = st.norm.ppf(0.975) / math.sqrt(n)
    assert mixture_half_width(1.0, n) > fixed


def test_it_is_tightest_relative_to_the_fixed_interval_near_n_star() -> None:
    def ratio(n: int) -> float:
        return mixture_half_width(1.0, n) * math.sqrt(n)

    assert ratio(5_000) < ratio(500)
    assert ratio(5_000) < ratio(500_000)


def _ever_excludes_the_truth(seed: int, half_width: object) -> bool:
    rng = random.Random(seed)
    mean, m2 = 0.0, 0.0
    for n in range(1, HORIZON + 1):
        x = rng.gauss(0.3, 2.0)  # true mean 0.3
        delta = x - mean
        mean += delta / n
        m2 += delta * (x - mean)
        if n >= EVERY and n % EVERY == 0:
            sigma = math.sqrt(m2 / (n - 1))
            if abs(mean - 0.3) > half_width(sigma, n):  # type: ignore[operator]
                return True
    return False


def test_peeking_at_every_step_keeps_the_error_rate_under_alpha() -> None:
    failures = sum(_ever_excludes_the_truth(seed, mixture_half_width) for seed in range(RUNS))
    assert failures / RUNS <= 0.05


def test_the_fixed_n_interval_fails_under_the_same_peeking() -> None:
    z = st.norm.ppf(0.975)
    failures = sum(
        _ever_excludes_the_truth(seed, lambda sigma, n: z * sigma / math.sqrt(n)) for seed in range(RUNS)
    )
    assert failures / RUNS > 0.2


def test_two_arm_sequence_keeps_coverage_on_hit_rates() -> None:
    """Two arms with the same 55 % hit rate, alternately assigned, looked at every 20 outcomes."""
    failures = 0
    for seed in range(RUNS):
        rng = random.Random(10_000 + seed)
        arms = [[0, 0.0, 0.0], [0, 0.0, 0.0]]  # n, mean, m2 per arm
        for step in range(HORIZON):
            arm = arms[step % 2]
            x = 1.0 if rng.random() < 0.55 else 0.0
            arm[0] += 1
            delta = x - arm[1]
            arm[1] += delta / arm[0]
            arm[2] += delta * (x - arm[1])
            if step >= 40 and step % 20 == 19:
                (na, ma, sa), (nb, mb, sb) = arms
                cs = difference_from_moments((ma, sa / (na - 1), int(na)), (mb, sb / (nb - 1), int(nb)))
                if cs.excludes(0.0):
                    failures += 1
                    break
    assert failures / RUNS <= 0.05


def test_difference_uses_growthbooks_pooled_n_and_variance() -> None:
    a, b = [1.0, 2.0, 4.0, 7.0], [0.0, 1.0, 1.0]
    se2 = st.tvar(a) / 4 + st.tvar(b) / 3
    cs = confidence_sequence_difference(a, b)
    assert cs.n == 7
    assert cs.estimate == pytest.approx(3.5 - 2 / 3)
    assert cs.upper - cs.estimate == pytest.approx(published_half_width(math.sqrt(se2 * 7), 7, 0.05, 5_000))


def test_paired_is_the_sequence_of_the_differences() -> None:
    challenger, champion = [0.1, 0.4, 0.2, 0.3], [0.2, 0.2, 0.3, 0.1]
    paired = confidence_sequence_paired(challenger, champion)
    direct = confidence_sequence([x - y for x, y in zip(challenger, champion, strict=True)])
    assert paired == direct


def test_summary_states_level_and_n() -> None:
    summary = from_moments(0.01, 0.2, 600).summary
    assert summary.startswith("always-valid 95% confidence sequence (N* = 5000)")
    assert "n = 600" in summary


@pytest.mark.parametrize(
    "call",
    [
        lambda: mixture_half_width(1.0, 0),
        lambda: mixture_half_width(-1.0, 10),
        lambda: mixture_half_width(1.0, 10, alpha=0.0),
        lambda: mixture_half_width(1.0, 10, n_star=0),
        lambda: confidence_sequence([1.0]),
        lambda: confidence_sequence_paired([1.0, 2.0], [1.0]),
        lambda: confidence_sequence([1.0, math.nan]),
    ],
)
def test_bad_input_raises_invalid_value(call: object) -> None:
    with pytest.raises(InvalidValueError):
        call()  # type: ignore[operator]

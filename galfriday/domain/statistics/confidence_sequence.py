"""Always-valid confidence sequences for a mean, so an experiment may be looked at every day without
inflating its error rate: with probability 1 - alpha the sequence covers the true mean at every n at once.

The normal-mixture asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (2023,
"Time-uniform central limit theory and asymptotic confidence sequences", Ann. Statist.), eq. 9 and eq. 161,
in the form GrowthBook's gbstats uses:

    half-width = sigma * sqrt(2 (n rho^2 + 1) / (n^2 rho^2) * ln(sqrt(n rho^2 + 1) / alpha))
    rho        = sqrt((-2 ln alpha + ln(-2 ln alpha + 1)) / N*)

with sigma the per-observation standard deviation and N* the sample size where the sequence is tightest
(design default 5,000). For two independent arms (GrowthBook): n = n1 + n2 and
sigma^2 = (s1^2/n1 + s2^2/n2)(n1 + n2). Asymptotic: trustworthy once n reaches a few dozen, not at n = 5.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.samples import count, mean, paired, probability, sample, variance
from galfriday.errors import InvalidValueError

ALPHA = 0.05
N_STAR = 5_000


def mixture_rho(alpha: float = ALPHA, n_star: float = N_STAR) -> float:
    """The mixing parameter that makes the sequence tightest at n = N* (eq. 161)."""
    alpha = probability("alpha", alpha)
    if not (isinstance(n_star, int | float) and n_star > 0 and math.isfinite(n_star)):
        raise InvalidValueError("n_star", n_star, "a positive planned sample size")
    log_alpha = math.log(alpha)
    return math.sqrt((-2.0 * log_alpha + math.log(-2.0 * log_alpha + 1.0)) / n_star)


def mixture_half_width(sigma: float, n: int, *, alpha: float = ALPHA, n_star: float = N_STAR) -> float:
    """Half-width of the two-sided sequence after n observations of standard deviation sigma (eq. 9)."""
    count("n", n, minimum=1)
    if not (isinstance(sigma, int | float) and sigma >= 0.0 and math.isfinite(sigma)):
        raise InvalidValueError("sigma", sigma, "a finite standard deviation >= 0")
    rho2 = mixture_rho(alpha, n_star) ** 2
    spread = n * rho2 + 1.0
    return sigma * math.sqrt(2.0 * spread / (n * n * rho2) * math.log(math.sqrt(spread) / alpha))


@frozen
class ConfidenceSequence:
    """The sequence's interval at the current n; valid whenever it is looked at."""

    estimate: float
    lower: float
    upper: float
    n: int
    alpha: float
    n_star: float

    def excludes(self, value: float) -> bool:
        return not self.lower <= value <= self.upper

    @property
    def summary(self) -> str:
        return (
            f"always-valid {1 - self.alpha:.0%} confidence sequence (N* = {self.n_star:g}): "
            f"{self.estimate:+.4g} [{self.lower:+.4g}, {self.upper:+.4g}] at n = {self.n}"
        )


def from_moments(
    estimate: float, sigma: float, n: int, *, alpha: float = ALPHA, n_star: float = N_STAR
) -> ConfidenceSequence:
    """The sequence from running moments: a mean, the per-observation standard deviation, and n."""
    half = mixture_half_width(sigma, n, alpha=alpha, n_star=n_star)
    return ConfidenceSequence(estimate, estimate - half, estimate + half, n, alpha, n_star)


def confidence_sequence(
    values: Iterable[float], *, alpha: float = ALPHA, n_star: float = N_STAR
) -> ConfidenceSequence:
    """The sequence for the mean of one series, e.g. paired loss differences of a shadow comparison."""
    data = sample("values", values, min_size=2)
    return from_moments(mean(data), math.sqrt(variance(data)), len(data), alpha=alpha, n_star=n_star)


def confidence_sequence_paired(
    challenger: Iterable[float], champion: Iterable[float], *, alpha: float = ALPHA, n_star: float = N_STAR
) -> ConfidenceSequence:
    """The sequence for mean(challenger - champion) over the same predictions (shadow mode)."""
    a, b = paired("challenger", challenger, "champion", champion, min_size=2)
    return confidence_sequence((x - y for x, y in zip(a, b, strict=True)), alpha=alpha, n_star=n_star)


def confidence_sequence_difference(
    challenger: Iterable[float], champion: Iterable[float], *, alpha: float = ALPHA, n_star: float = N_STAR
) -> ConfidenceSequence:
    """The sequence for mean(challenger) - mean(champion) of two independent arms (split mode)."""
    a = sample("challenger", challenger, min_size=2)
    b = sample("champion", champion, min_size=2)
    return difference_from_moments(
        (mean(a), variance(a), len(a)), (mean(b), variance(b), len(b)), alpha=alpha, n_star=n_star
    )


def difference_from_moments(
    challenger: tuple[float, float, int],
    champion: tuple[float, float, int],
    *,
    alpha: float = ALPHA,
    n_star: float = N_STAR,
) -> ConfidenceSequence:
    """The two-arm sequence from each arm's running (mean, variance, n)."""
    (mean_a, var_a, n_a), (mean_b, var_b, n_b) = challenger, champion
    count("challenger n", n_a, minimum=1)
    count("champion n", n_b, minimum=1)
    n = n_a + n_b
    se2 = var_a / n_a + var_b / n_b
    return from_moments(mean_a - mean_b, math.sqrt(se2 * n), n, alpha=alpha, n_star=n_star)

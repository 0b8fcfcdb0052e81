"""Diebold-Mariano test: do two forecasters of the same events have equal expected loss?

d_t = challenger loss - champion loss. Its long-run variance is Newey-West's, with Bartlett weights
1 - k / (L + 1) up to L = ceil(n^(1/3)) lags (the design's rule, which absorbs the autocorrelation of
overlapping outcomes and market regimes): LRV = g_0 + 2 sum_k (1 - k/(L+1)) g_k, g_k the lag-k
autocovariance with divisor n. DM = mean(d) / sqrt(LRV / n), multiplied by the small-sample correction of
Harvey, Leybourne & Newbold (1997), sqrt((n + 1 - 2h + h(h - 1)/n) / n) for forecast horizon h, and
referred to Student t with n - 1 degrees of freedom (Diebold & Mariano 1995; HLN 1997).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from attrs import frozen

from galfriday.domain.statistics.alternative import Alternative, tail_p_value
from galfriday.domain.statistics.samples import ceil_cube_root, count, mean, paired
from galfriday.domain.statistics.special import student_t_cdf, student_t_sf
from galfriday.errors import InvalidValueError


@frozen
class DieboldMarianoResult:
    """The HLN-corrected statistic; a negative mean difference means the challenger's loss is lower."""

    statistic: float
    p_value: float
    mean_difference: float
    long_run_variance: float
    n: int
    lags: int
    horizon: int
    alternative: Alternative

    @property
    def df(self) -> int:
        return self.n - 1

    @property
    def summary(self) -> str:
        better = "challenger" if self.mean_difference < 0 else "champion"
        return (
            f"Diebold-Mariano (HLN, {self.lags} Newey-West lags): mean loss difference "
            f"{self.mean_difference:+.4g} ({better} lower), t = {self.statistic:.3f} on {self.df} df, "
            f"p = {self.p_value:.4g} ({self.alternative}), n = {self.n}"
        )


def newey_west_lags(n: int) -> int:
    """ceil(n^(1/3)), never more than n - 1."""
    return min(ceil_cube_root(n), n - 1)


def autocovariance(values: tuple[float, ...], center: float, lag: int) -> float:
    """(1/n) sum_{t >= lag} (x_t - center)(x_{t-lag} - center)."""
    n = len(values)
    return math.fsum((values[t] - center) * (values[t - lag] - center) for t in range(lag, n)) / n


def newey_west_variance(values: tuple[float, ...], lags: int) -> float:
    """The Bartlett-kernel long-run variance of a series around its mean (non-negative by construction)."""
    center = mean(values)
    total = autocovariance(values, center, 0)
    for k in range(1, lags + 1):
        total += 2.0 * (1.0 - k / (lags + 1.0)) * autocovariance(values, center, k)
    return max(total, 0.0)


def diebold_mariano(
    champion_losses: Iterable[float],
    challenger_losses: Iterable[float],
    *,
    lags: int | None = None,
    horizon: int = 1,
    alternative: Alternative = Alternative.TWO_SIDED,
) -> DieboldMarianoResult:
    """DM test on paired per-prediction losses; `alternative=LESS` asks whether the challenger's is lower."""
    champion, challenger = paired("champion_losses", champion_losses, "challenger_losses", challenger_losses)
    n = len(champion)
    if n < 3:
        raise InvalidValueError("losses", n, "at least 3 paired losses")
    h = count("horizon", horizon, minimum=1)
    lag_count = newey_west_lags(n) if lags is None else count("lags", lags)
    if lag_count >= n:
        raise InvalidValueError("lags", lags, f"fewer lags than losses ({n})")
    hln_base = (n + 1 - 2 * h + h * (h - 1) / n) / n
    if hln_base <= 0:
        raise InvalidValueError("horizon", horizon, f"a horizon short enough for {n} losses")
    differences = tuple(y - x for x, y in zip(champion, challenger, strict=True))
    d_bar = mean(differences)
    lrv = newey_west_variance(differences, lag_count)
    if lrv > 0.0:
        statistic = d_bar / math.sqrt(lrv / n) * math.sqrt(hln_base)
    else:  # every difference equal: no evidence either way, or a difference without any noise
        statistic = 0.0 if d_bar == 0.0 else math.copysign(math.inf, d_bar)
    df = n - 1.0
    p_value = tail_p_value(
        statistic, alternative, lambda s: student_t_cdf(s, df), lambda s: student_t_sf(s, df)
    )
    return DieboldMarianoResult(statistic, p_value, d_bar, lrv, n, lag_count, h, alternative)

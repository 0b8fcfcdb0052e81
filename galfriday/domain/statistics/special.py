"""Special functions behind p-values and intervals: normal, Student t, chi-square, incomplete beta and gamma.

Pure Python because the domain may not import scipy; the tests hold every function to scipy (~1e-12).
Incomplete beta and gamma are continued fractions and series evaluated by the modified Lentz method
(Numerical Recipes, 3rd ed., 6.2 and 6.4). Their prefactors x^a(1-x)^b/B(a,b) and x^a e^-x/Gamma(a) use
Stirling's series with log1p(u)-u, the form of Loader (2000, "Fast and accurate computation of binomial
probabilities") and DiDonato & Morris (1992), so large arguments (a t test with 10^5 degrees of freedom)
keep their precision instead of cancelling lgamma terms.
"""

from __future__ import annotations

import math

from galfriday.errors import InvalidValueError

_EPS = 1e-16
_TINY = 1e-300
_MAX_ITERATIONS = 100_000
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)


# --- helpers -----------------------------------------------------------------------------------------


def _stirling_correction(z: float) -> float:
    """delta(z) = lgamma(z) - [(z - 1/2) ln z - z + ln(2 pi)/2], the remainder of Stirling's formula."""
    if z >= 15.0:
        z2 = z * z
        return (
            1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / (1188.0 * z2)) / z2) / z2) / z2
        ) / z
    return math.lgamma(z) - ((z - 0.5) * math.log(z) - z + _HALF_LOG_TWO_PI)


def _log1pmx(u: float) -> float:
    """ln(1 + u) - u without cancellation for small u (series in r = u / (2 + u))."""
    if abs(u) >= 0.5:
        return math.log1p(u) - u
    r = u / (2.0 + u)
    r2 = r * r
    term, total, k = r2, 0.0, 3
    while True:
        step = term / k
        total += step
        if abs(step) <= _EPS * abs(total):
            break
        term *= r2
        k += 2
    return 2.0 * r * total - u * r


def _log_ratio_minus_relative(v: float, v0: float, dv: float) -> float:
    """ln(v / v0) - (v - v0) / v0, given dv = v - v0 computed accurately by the caller."""
    u = dv / v0
    if abs(u) < 0.5:
        return _log1pmx(u)
    return math.log(v) - math.log(v0) - u


def _beta_prefactor(a: float, b: float, x: float, y: float) -> float:
    """x^a y^b / B(a, b) with y = 1 - x, accurate for large a and b."""
    x0 = a / (a + b)
    y0 = b / (a + b)
    d = x - x0 if x < y else y0 - y
    exponent = a * _log_ratio_minus_relative(x, x0, d) + b * _log_ratio_minus_relative(y, y0, -d)
    correction = _stirling_correction(a + b) - _stirling_correction(a) - _stirling_correction(b)
    return math.sqrt(a * b / (2.0 * math.pi * (a + b))) * math.exp(exponent + correction)


def _gamma_prefactor(a: float, x: float) -> float:
    """x^a e^-x / Gamma(a), accurate for large a."""
    exponent = a * _log_ratio_minus_relative(x, a, x - a) - _stirling_correction(a)
    return math.sqrt(a / (2.0 * math.pi)) * math.exp(exponent)


def _not_converged(name: str, *args: float) -> InvalidValueError:
    return InvalidValueError(name, args, "arguments for which the expansion converges")


def _beta_continued_fraction(a: float, b: float, x: float, y: float) -> float:
    """The continued fraction of I_x(a, b) (Numerical Recipes betacf); converges for x < (a+1)/(a+b+2).

    Its first term 1 - (a+b)x/(a+1) cancels when x is near 1; written with y = 1 - x it does not, which
    keeps a t test with 10^5 degrees of freedom at 1e-15 instead of 1e-11.
    """
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap if x <= y else (1.0 - b + qab * y) / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITERATIONS):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= _EPS:
            return h
    raise _not_converged("incomplete beta (a, b, x)", a, b, x)


_FACTORIALS_ODD = tuple(float(math.factorial(2 * n + 1)) for n in range(31))


def _beta_large_a_small_b(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b) for a >= 15, b <= 1, x > 0.7: DiDonato & Morris's BGRAT expansion (TOMS 708, eq. 9-9.6).

    The continued fraction loses about a * 1e-16 here (a t test with many degrees of freedom), because
    its terms cancel near x = 1; this series in Q(b, u) does not.
    """
    t = a + 0.5 * (b - 1.0)
    lx = math.log1p(-y) if y < 0.35 else math.log(x)
    u = -t * lx
    if u <= 0.0:
        return 0.0
    log_h = b * math.log(u) - u - math.lgamma(b)
    # Gamma(a + b) / Gamma(a) / t^b by Stirling's formula, without cancelling lgamma terms.
    log_ratio = (
        (a - 0.5) * math.log1p(b / a)
        + b * math.log((a + b) / t)
        - b
        + _stirling_correction(a + b)
        - _stirling_correction(a)
    )
    if log_h + log_ratio < -745.0:
        return 0.0
    h = math.exp(log_h)
    prefix = math.exp(log_h + log_ratio)
    j = _gamma_pair(b, u)[1] / h
    total = prefix * j
    p = [1.0]
    half_lx_squared = (0.5 * lx) ** 2
    lx_power = 1.0
    t4 = 4.0 * t * t
    b2n = b
    for n in range(1, 30):
        pn = sum((m * b - n) * p[n - m] / _FACTORIALS_ODD[m] for m in range(1, n)) / n
        pn += (b - 1.0) / _FACTORIALS_ODD[n]
        p.append(pn)
        j = (b2n * (b2n + 1.0) * j + (u + b2n + 1.0) * lx_power) / t4
        lx_power *= half_lx_squared
        b2n += 2.0
        term = prefix * pn * j
        total += term
        if abs(term) <= _EPS * abs(total):
            break
    return total


def _beta_pair(a: float, b: float, x: float, y: float) -> tuple[float, float]:
    """(I_x(a, b), 1 - I_x(a, b)) with x + y = 1 given separately; the smaller one keeps full precision."""
    if x <= 0.0:
        return 0.0, 1.0
    if y <= 0.0:
        return 1.0, 0.0
    direct = x < (a + 1.0) / (a + b + 2.0)  # else the fraction of the complement converges
    if direct and a >= 15.0 and b <= 1.0 and y < 0.3:
        lower = _beta_large_a_small_b(a, b, x, y)
        return lower, 1.0 - lower
    if not direct and b >= 15.0 and a <= 1.0 and x < 0.3:
        upper = _beta_large_a_small_b(b, a, y, x)
        return 1.0 - upper, upper
    if direct:
        lower = _beta_prefactor(a, b, x, y) * _beta_continued_fraction(a, b, x, y) / a
        return lower, 1.0 - lower
    upper = _beta_prefactor(b, a, y, x) * _beta_continued_fraction(b, a, y, x) / b
    return 1.0 - upper, upper


def _gamma_pair(a: float, x: float) -> tuple[float, float]:
    """(P(a, x), Q(a, x)): the series below x = a + 1, the continued fraction above."""
    if x <= 0.0:
        return 0.0, 1.0
    if math.isinf(x):
        return 1.0, 0.0
    front = _gamma_prefactor(a, x)
    if x < a + 1.0:
        term = total = 1.0 / a
        denominator = a
        for _ in range(_MAX_ITERATIONS):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) <= _EPS * abs(total):
                lower = front * total
                return lower, 1.0 - lower
        raise _not_converged("incomplete gamma (a, x)", a, x)
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITERATIONS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= _EPS:
            upper = front * h
            return 1.0 - upper, upper
    raise _not_converged("incomplete gamma (a, x)", a, x)


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and value > 0.0 and not math.isnan(value)):
        raise InvalidValueError(name, value, "a positive number")
    return float(value)


def _number(name: str, value: float) -> float:
    if not isinstance(value, int | float) or math.isnan(value):
        raise InvalidValueError(name, value, "a number, not NaN")
    return float(value)


def _probability(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise InvalidValueError(name, value, "a probability in [0, 1]")
    return float(value)


# --- incomplete beta and gamma -------------------------------------------------------------------------


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function (scipy.special.betainc)."""
    a, b = _positive("a", a), _positive("b", b)
    x = _probability("x", x)
    return _beta_pair(a, b, x, 1.0 - x)[0]


def regularized_gamma_p(a: float, x: float) -> float:
    """P(a, x), the regularized lower incomplete gamma function (scipy.special.gammainc)."""
    a, x = _positive("a", a), _number("x", x)
    if x < 0.0:
        raise InvalidValueError("x", x, "a number >= 0")
    return _gamma_pair(a, x)[0]


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = 1 - P(a, x), computed directly so small tails keep precision (scipy.special.gammaincc)."""
    a, x = _positive("a", a), _number("x", x)
    if x < 0.0:
        raise InvalidValueError("x", x, "a number >= 0")
    return _gamma_pair(a, x)[1]


# --- normal ----------------------------------------------------------------------------------------------


def normal_pdf(x: float) -> float:
    """The standard normal density."""
    return math.exp(-0.5 * x * x - _HALF_LOG_TWO_PI)


def normal_cdf(x: float) -> float:
    """P(Z <= x) for a standard normal Z, through erfc so the lower tail keeps relative precision."""
    return 0.5 * math.erfc(-_number("x", x) / math.sqrt(2.0))


def normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z."""
    return 0.5 * math.erfc(_number("x", x) / math.sqrt(2.0))


# Acklam's rational approximation (relative error 1.15e-9), polished below by one Halley step.
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690, -30.66479806614716)
_A_LAST = 2.506628277459239
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968)
_C_LAST = 2.938163982698783
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_P_LOW = 0.02425


def _poly(coefficients: tuple[float, ...], x: float) -> float:
    total = 0.0
    for c in coefficients:
        total = total * x + c
    return total


def normal_quantile(p: float) -> float:
    """z with P(Z <= z) = p (scipy.stats.norm.ppf); -inf and +inf at 0 and 1."""
    p = _probability("p", p)
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p > 0.5:
        return -normal_quantile(1.0 - p) if p > 1.0 - _P_LOW else _central_quantile(p)
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        z = (_poly(_C, q) * q + _C_LAST) / (_poly(_D, q) * q + 1.0)
    else:
        return _central_quantile(p)
    return _halley(z, p)


def _central_quantile(p: float) -> float:
    q = p - 0.5
    r = q * q
    z = (_poly(_A, r) * r + _A_LAST) * q / (_poly(_B, r) * r + 1.0)
    return _halley(z, p)


def _halley(z: float, p: float) -> float:
    density = normal_pdf(z)
    if density == 0.0:
        return z
    u = (normal_cdf(z) - p) / density
    return z - u / (1.0 + 0.5 * z * u)


# --- Student t -------------------------------------------------------------------------------------------


def _degrees_of_freedom(df: float) -> float:
    return _positive("degrees of freedom", df)


def _t_tails(t: float, df: float) -> tuple[float, float]:
    """(P(T <= t), P(T > t)) through I_{df/(df+t^2)}(df/2, 1/2)."""
    t, df = _number("t", t), _degrees_of_freedom(df)
    if math.isinf(df):
        return normal_cdf(t), normal_sf(t)
    if math.isinf(t):
        return (1.0, 0.0) if t > 0 else (0.0, 1.0)
    t2 = t * t
    x = df / (df + t2)
    y = t2 / (df + t2)
    tail = 0.5 * _beta_pair(0.5 * df, 0.5, x, y)[0]
    return (1.0 - tail, tail) if t > 0 else (tail, 1.0 - tail)


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom (scipy.stats.t.cdf); df may be fractional."""
    return _t_tails(t, df)[0]


def student_t_sf(t: float, df: float) -> float:
    """P(T > t), computed directly so small upper tails keep precision (scipy.stats.t.sf)."""
    return _t_tails(t, df)[1]


def _t_log_pdf(t: float, df: float) -> float:
    return (
        math.lgamma(0.5 * (df + 1.0))
        - math.lgamma(0.5 * df)
        - 0.5 * math.log(df * math.pi)
        - 0.5 * (df + 1.0) * math.log1p(t * t / df)
    )


def student_t_quantile(p: float, df: float) -> float:
    """t with P(T <= t) = p (scipy.stats.t.ppf): closed forms for df 1 and 2, else safeguarded Newton."""
    p, df = _probability("p", p), _degrees_of_freedom(df)
    if math.isinf(df):
        return normal_quantile(p)
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    q = min(p, 1.0 - p)  # the tail beyond |t|; 1 - p is exact for p >= 0.5
    sign = 1.0 if p > 0.5 else -1.0
    if df == 1.0:
        return sign / math.tan(math.pi * q)
    if df == 2.0:
        return sign * (1.0 - 2.0 * q) / math.sqrt(2.0 * q * (1.0 - q))
    return sign * _t_upper_quantile(q, df)


def _cornish_fisher(q: float, df: float) -> float:
    """The t quantile from the normal one by the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5)."""
    z = -normal_quantile(q)
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _t_upper_quantile(q: float, df: float) -> float:
    """t > 0 with P(T > t) = q < 1/2: Newton on ln P(T > t), kept inside a bracket by bisection."""
    log_q = math.log(q)
    guess = _cornish_fisher(q, df)
    t = guess if math.isfinite(guess) and guess > 0.0 else 1.0
    lo, hi = 0.0, math.inf
    for _ in range(400):
        sf = _t_tails(t, df)[1]
        if sf > q:
            lo = max(lo, t)
        elif sf < q:
            hi = min(hi, t)
        else:
            return t
        if sf > 0.0:
            step = (math.log(sf) - log_q) * sf / math.exp(_t_log_pdf(t, df))
            candidate = t + step
        else:
            candidate = math.nan
        if not (lo < candidate < hi):
            candidate = 0.5 * (lo + hi) if math.isfinite(hi) else 2.0 * max(t, lo)
        if abs(candidate - t) <= 4.0 * _EPS * abs(t):
            return candidate
        t = candidate
    return t


# --- chi-square ------------------------------------------------------------------------------------------


def chi_square_sf(x: float, df: float) -> float:
    """P(X > x) for a chi-square variable with `df` degrees of freedom (scipy.stats.chi2.sf)."""
    x, df = _number("x", x), _degrees_of_freedom(df)
    if x <= 0.0:
        return 1.0
    return _gamma_pair(0.5 * df, 0.5 * x)[1]


def chi_square_cdf(x: float, df: float) -> float:
    """P(X <= x) for a chi-square variable with `df` degrees of freedom (scipy.stats.chi2.cdf)."""
    x, df = _number("x", x), _degrees_of_freedom(df)
    if x <= 0.0:
        return 0.0
    return _gamma_pair(0.5 * df, 0.5 * x)[0]

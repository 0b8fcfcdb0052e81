"""Online Page-Hinkley test for a rise in a model's error stream, with its threshold calibrated by simulation.

Feed it one number per resolved prediction (1 for a miss and 0 for a hit, or a per-prediction loss). It keeps
`m_t = sum of (x_i - mean_i - delta)` and alarms when `m_t - min m` exceeds the threshold lambda. lambda sets
the false-alarm rate, so it is not guessed: `calibrate_threshold` simulates error streams with no change and
picks the smallest lambda whose expected run length between false alarms is at least the target (20,000
outcomes by default), with a safety margin for simulation noise.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Sequence

from attrs import frozen

from galfriday.errors import InvalidValueError

PH_DELTA = 0.005
"""Tolerated rise of the mean per observation before it counts as evidence (River's default)."""
PH_MIN_INSTANCES = 30
"""No alarm before this many observations (River's default)."""
TARGET_RUN_LENGTH = 20_000
DEFAULT_THRESHOLD = 49.61
"""lambda from `calibrate_threshold()` with its defaults (55 % accuracy, delta 0.005, 200 streams of 60,000,
seed 0): 49.604, rounded up. Measured on 200 fresh null streams: mean run length 21,962 outcomes, 4.5 %
alarm within 3,000 outcomes. Recalibrate for a very different accuracy or delta."""


class PageHinkley:
    """Detects a rise in the mean of a stream. Mutable: one instance per monitored model."""

    __slots__ = (
        "_cumulative",
        "_mean",
        "_minimum",
        "delta",
        "drift_detected",
        "min_instances",
        "n",
        "threshold",
    )

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        delta: float = PH_DELTA,
        min_instances: int = PH_MIN_INSTANCES,
    ) -> None:
        if not threshold > 0:
            raise InvalidValueError("threshold", threshold, "a positive lambda (see calibrate_threshold)")
        if delta < 0:
            raise InvalidValueError("delta", delta, "zero or more")
        if min_instances < 1:
            raise InvalidValueError("min_instances", min_instances, "at least 1 observation before an alarm")
        self.threshold = threshold
        self.delta = delta
        self.min_instances = min_instances
        self.reset()

    def reset(self) -> None:
        """Forget the stream (after an alarm has been handled, or a new model goes live)."""
        self.n = 0
        self._mean = 0.0
        self._cumulative = 0.0
        self._minimum = 0.0
        self.drift_detected = False

    @property
    def statistic(self) -> float:
        """m_t - min m: how far the cumulative deviation has climbed from its lowest point."""
        return self._cumulative - self._minimum

    def update(self, x: float) -> bool:
        """Add one observation; True once the statistic exceeds the threshold (it stays True until `reset`)."""
        if not math.isfinite(x):
            raise InvalidValueError("x", x, "a finite error or loss")
        self.n += 1
        self._mean += (x - self._mean) / self.n
        self._cumulative += x - self._mean - self.delta
        self._minimum = min(self._minimum, self._cumulative)
        if self.n >= self.min_instances and self.statistic > self.threshold:
            self.drift_detected = True
        return self.drift_detected


def record_path(
    rng: random.Random, error_rate: float, horizon: int, delta: float, min_instances: int
) -> tuple[list[int], list[float]]:
    """One simulated error stream's record highs of the statistic: (times, values), values increasing.

    The statistic's path does not depend on lambda, so the run length for any lambda is the first record time
    whose value exceeds lambda: one simulation serves every candidate threshold.
    """
    times: list[int] = []
    values: list[float] = []
    mean = cumulative = minimum = 0.0
    best = -math.inf
    draw = rng.random
    for n in range(1, horizon + 1):
        x = 1.0 if draw() < error_rate else 0.0
        mean += (x - mean) / n
        cumulative += x - mean - delta
        if cumulative < minimum:
            minimum = cumulative
        elif n >= min_instances and cumulative - minimum > best:
            best = cumulative - minimum
            times.append(n)
            values.append(best)
    return times, values


def run_length(times: Sequence[int], values: Sequence[float], threshold: float, horizon: int) -> int:
    """First time the statistic exceeds `threshold` on a recorded path, or `horizon` if it never does."""
    index = bisect_left(values, threshold)
    while index < len(values) and not values[index] > threshold:
        index += 1
    return times[index] if index < len(values) else horizon


@frozen
class Calibration:
    """A calibrated lambda and the evidence for it."""

    threshold: float
    target_run_length: int
    mean_run_length: float
    """Mean of min(run length, horizon) over the null streams: a lower bound on the true mean."""
    lower_bound: float
    """mean_run_length minus z standard errors; at least the target."""
    error_rate: float
    delta: float
    min_instances: int
    streams: int
    horizon: int
    seed: int


def calibrate_threshold(
    target_run_length: int = TARGET_RUN_LENGTH,
    *,
    error_rate: float = 0.45,
    delta: float = PH_DELTA,
    min_instances: int = PH_MIN_INSTANCES,
    streams: int = 200,
    horizon: int | None = None,
    z: float = 2.0,
    seed: int = 0,
) -> Calibration:
    """The smallest lambda whose expected run length on null streams is at least `target_run_length`.

    Simulates `streams` Bernoulli(`error_rate`) miss streams (0.45 = 55 % accuracy) of `horizon` outcomes
    (default 3 x target) with `random.Random(seed)`. Streams that never alarm count as `horizon`, so the
    estimate is conservative; lambda must also clear z standard errors of simulation noise.
    """
    if target_run_length < 1 or not 0.0 < error_rate < 1.0 or streams < 2:
        raise InvalidValueError(
            "calibration",
            (target_run_length, error_rate, streams),
            "target >= 1, 0 < error_rate < 1, streams >= 2",
        )
    horizon = horizon or 3 * target_run_length
    rng = random.Random(seed)
    paths = [record_path(rng, error_rate, horizon, delta, min_instances) for _ in range(streams)]
    candidates = sorted({value for _, values in paths for value in values})

    def bounds(threshold: float) -> tuple[float, float]:
        lengths = [run_length(times, values, threshold, horizon) for times, values in paths]
        mean = math.fsum(lengths) / streams
        variance = math.fsum((length - mean) ** 2 for length in lengths) / (streams - 1)
        return mean, mean - z * math.sqrt(variance / streams)

    low, high = 0, len(candidates) - 1
    if not candidates or bounds(candidates[high])[1] < target_run_length:
        raise InvalidValueError(
            "horizon", horizon, "a longer simulation: no lambda reached the target within it"
        )
    while low < high:  # the run lengths grow with lambda, so bisect on the candidates
        middle = (low + high) // 2
        if bounds(candidates[middle])[1] >= target_run_length:
            high = middle
        else:
            low = middle + 1
    mean, lower = bounds(candidates[low])
    return Calibration(
        candidates[low],
        target_run_length,
        mean,
        lower,
        error_rate,
        delta,
        min_instances,
        streams,
        horizon,
        seed,
    )

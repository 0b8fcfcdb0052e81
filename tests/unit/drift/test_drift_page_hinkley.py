"""Page-Hinkley: quiet on a steady error stream at its calibrated false-alarm rate, fast on a real rise.

Rates are measured over many seeds; the streams are Bernoulli misses (1) and hits (0).
"""

from __future__ import annotations

import math
import random

import pytest

from galfriday.domain.drift.page_hinkley import (
    DEFAULT_THRESHOLD,
    PH_DELTA,
    PH_MIN_INSTANCES,
    PageHinkley,
    calibrate_threshold,
    record_path,
    run_length,
)
from galfriday.errors import InvalidValueError

NULL_ERROR_RATE = 0.45  # 55 % accuracy, the design's reference model


def misses(seed: int, n: int, error_rate: float = NULL_ERROR_RATE) -> list[float]:
    rng = random.Random(seed)
    return [1.0 if rng.random() < error_rate else 0.0 for _ in range(n)]


def first_alarm(detector: PageHinkley, stream: list[float]) -> int | None:
    """1-based index of the observation that raised the alarm, or None."""
    for n, x in enumerate(stream, start=1):
        if detector.update(x):
            return n
    return None


def shifted(seed: int, before: float, after: float, change_at: int, n: int) -> list[float]:
    rng = random.Random(seed)
    return [1.0 if rng.random() < (before if i < change_at else after) else 0.0 for i in range(n)]


def test_statistic_is_the_climb_of_the_cumulative_deviation_from_its_minimum() -> None:
    detector = PageHinkley(threshold=1000.0, delta=0.0, min_instances=1)
    for x in (0.0, 0.0, 1.0, 1.0):
        detector.update(x)
    # means 0, 0, 1/3, 1/2; deviations 0, 0, 2/3, 1/2; the minimum stays 0
    assert detector.statistic == pytest.approx(2 / 3 + 1 / 2)


def test_delta_is_subtracted_from_every_deviation() -> None:
    detector = PageHinkley(threshold=1000.0, delta=0.1, min_instances=1)
    for x in (1.0, 1.0, 1.0):
        detector.update(x)
    # deviations are -0.1 each (the mean equals x), so the statistic sits at the minimum
    assert detector.statistic == 0.0
    assert detector._cumulative == pytest.approx(-0.3)


def test_no_alarm_before_min_instances_even_above_the_threshold() -> None:
    detector = PageHinkley(threshold=0.1, delta=0.0, min_instances=5)
    stream = [0.0] * 2 + [1.0] * 10
    assert first_alarm(detector, stream) == 5


def test_alarm_stays_raised_until_reset() -> None:
    detector = PageHinkley(threshold=0.5, delta=0.0, min_instances=1)
    assert first_alarm(detector, [0.0, 0.0, 1.0, 1.0]) is not None
    assert detector.update(0.0) is True
    detector.reset()
    assert (detector.n, detector.statistic, detector.drift_detected) == (0, 0.0, False)


def test_a_falling_error_rate_never_alarms() -> None:
    detector = PageHinkley()
    assert first_alarm(detector, shifted(1, 0.45, 0.20, 1_000, 10_000)) is None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_observation_is_refused(bad: float) -> None:
    with pytest.raises(InvalidValueError, match="finite"):
        PageHinkley().update(bad)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"threshold": 0.0}, "threshold"), ({"delta": -0.1}, "delta"), ({"min_instances": 0}, "min_instances")],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidValueError, match=field):
        PageHinkley(**kwargs)  # type: ignore[arg-type]


def test_recorded_path_gives_the_detectors_own_run_length() -> None:
    """The calibration's shortcut (one path serves every lambda) agrees with running the detector."""
    horizon = 4_000
    for seed in range(20):
        times, values = record_path(random.Random(seed), NULL_ERROR_RATE, horizon, PH_DELTA, PH_MIN_INSTANCES)
        for threshold in (5.0, 12.0, 25.0):
            stream = misses(seed, horizon)
            alarm = first_alarm(PageHinkley(threshold), stream)
            assert run_length(times, values, threshold, horizon) == (alarm or horizon)


def test_calibrated_threshold_meets_its_target_on_fresh_seeds() -> None:
    """Calibrate on seed 0's streams, then measure the mean run length on 400 streams it never saw."""
    target = 1_000
    calibration = calibrate_threshold(target, streams=400, seed=0)
    assert calibration.lower_bound >= target
    horizon = 10 * target
    rng = random.Random(12_345)
    lengths = [
        run_length(
            *record_path(rng, NULL_ERROR_RATE, horizon, PH_DELTA, PH_MIN_INSTANCES),
            calibration.threshold,
            horizon,
        )
        for _ in range(400)
    ]
    assert math.fsum(lengths) / len(lengths) >= target


def test_calibration_is_the_smallest_threshold_meeting_the_target() -> None:
    calibration = calibrate_threshold(500, streams=100, seed=3)
    lower = calibrate_threshold(250, streams=100, seed=3)
    assert lower.threshold < calibration.threshold
    assert lower.lower_bound >= 250


def test_default_threshold_is_the_default_calibration_rounded_up() -> None:
    calibration = calibrate_threshold()
    assert calibration.threshold <= DEFAULT_THRESHOLD < calibration.threshold + 0.01
    assert calibration.mean_run_length >= 20_000


def test_default_threshold_false_alarm_rate_within_3000_outcomes() -> None:
    """The design budgets about 10 % per 3,000 null outcomes; measured on 300 fresh seeds."""
    alarms = sum(first_alarm(PageHinkley(), misses(10_000 + seed, 3_000)) is not None for seed in range(300))
    assert alarms / 300 <= 0.10


def test_default_detector_catches_a_ten_point_accuracy_drop_quickly() -> None:
    """55 % -> 45 % accuracy after 1,000 outcomes: every seed alarms, none before the change, median < 1,000."""
    delays = []
    for seed in range(100):
        alarm = first_alarm(PageHinkley(), shifted(seed, 0.45, 0.55, 1_000, 6_000))
        assert alarm is not None
        assert alarm > 1_000
        delays.append(alarm - 1_000)
    assert sorted(delays)[50] < 1_000


def test_calibration_refuses_a_horizon_too_short_for_the_target() -> None:
    with pytest.raises(InvalidValueError, match="horizon"):
        calibrate_threshold(5_000, streams=10, horizon=100)

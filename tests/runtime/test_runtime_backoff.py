"""Restart backoff: doubles from the first delay up to the cap; a long run resets it."""

from __future__ import annotations

import pytest

from galfriday.errors import InvalidValueError
from galfriday.runtime import Backoff


def test_delays_double_from_the_first_and_stop_at_the_cap() -> None:
    backoff = Backoff(initial_seconds=0.5, max_seconds=3.0)
    assert [backoff.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_huge_crash_count_stays_at_the_cap() -> None:
    assert Backoff(initial_seconds=1, max_seconds=60).delay(10_000) == 60


def test_a_run_longer_than_the_stable_period_counts_as_stable() -> None:
    backoff = Backoff(stable_after_seconds=60)
    assert backoff.is_stable(60)
    assert not backoff.is_stable(59.9)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial_seconds": 0}, "initial_seconds"),
        ({"max_seconds": 0.1}, "max_seconds"),
        ({"factor": 0.5}, "factor"),
    ],
)
def test_nonsense_settings_are_refused_by_name(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidValueError, match=field):
        Backoff(**kwargs)

"""Budgeted random search: the default candidate first, the lowest score wins, the budget is honoured."""

from __future__ import annotations

import itertools

import pytest

from galfriday.adapters.sklearn.search import C_RANGE, candidates, search
from galfriday.errors import InvalidValueError


def test_the_first_candidate_is_the_library_default_then_seeded_draws_in_range() -> None:
    drawn = list(itertools.islice(candidates(3), 50))
    assert drawn[0] == {"C": 1.0}
    assert all(C_RANGE[0] <= c["C"] <= C_RANGE[1] for c in drawn)
    assert drawn == list(itertools.islice(candidates(3), 50))


def test_the_lowest_score_wins() -> None:
    result = search(lambda p: abs(p["C"] - 0.1), max_trials=20, time_budget_seconds=60)
    assert result.best.score == min(t.score for t in result.trials)
    assert len(result.trials) == 20


def test_a_zero_time_budget_still_runs_one_trial() -> None:
    result = search(lambda p: 0.0, max_trials=5, time_budget_seconds=0.0)
    assert (len(result.trials), result.stopped_by) == (1, "time")


@pytest.mark.parametrize(("trials", "seconds"), [(0, 1.0), (1, -1.0)])
def test_a_budget_must_allow_a_trial(trials: int, seconds: float) -> None:
    with pytest.raises(InvalidValueError):
        search(lambda p: 0.0, max_trials=trials, time_budget_seconds=seconds)

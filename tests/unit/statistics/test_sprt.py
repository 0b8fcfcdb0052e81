"""Wald's SPRT on a Bernoulli error rate, the canary guardrail (p0 = 0.1 %, p1 = 1 %, alpha 5 %, beta 20 %)."""

from __future__ import annotations

import math
import random

import pytest

from galfriday.domain.statistics.sprt import SprtDecision, SprtDesign
from galfriday.errors import InvalidValueError


def test_the_bounds_are_the_designs() -> None:
    design = SprtDesign()
    assert design.upper_bound == pytest.approx(math.log(0.8 / 0.05)) == pytest.approx(2.773, abs=5e-4)
    assert design.lower_bound == pytest.approx(math.log(0.2 / 0.95)) == pytest.approx(-1.558, abs=5e-4)


def test_no_evidence_yet_means_continue() -> None:
    assert SprtDesign().start().decision is SprtDecision.CONTINUE


def test_two_early_errors_reject() -> None:
    """Each error adds ln 10 = 2.303: two of them pass +2.773 at once."""
    state = SprtDesign().start().observe(True).observe(True)
    assert state.decision is SprtDecision.REJECT
    assert state.decided_at == 2


def test_a_clean_run_accepts_after_the_computed_count() -> None:
    """Each success adds ln(0.99/0.999) = -0.00905; -1.558 is crossed after 173 of them."""
    design = SprtDesign()
    needed = math.ceil(design.lower_bound / design.success_step)
    state = design.start().observe_all([False] * needed)
    assert needed == 173
    assert state.decision is SprtDecision.ACCEPT
    assert state.decided_at == needed


def test_a_decision_is_kept_once_reached() -> None:
    state = SprtDesign().start().observe_all([False] * 200).observe_all([True] * 5)
    assert state.decision is SprtDecision.ACCEPT
    assert (state.n, state.errors) == (205, 5)


def test_counts_are_judged_at_the_end_of_the_batch() -> None:
    state = SprtDesign().start().observe_counts(errors=3, trials=100)
    assert state.decision is SprtDecision.REJECT
    assert state.log_likelihood_ratio == pytest.approx(3 * math.log(10) + 97 * math.log(0.99 / 0.999))


def test_error_rates_of_the_design_hold_in_simulation() -> None:
    """At p = p0 rejection should be rare (<= alpha), at p = p1 acceptance <= beta (Wald's bounds are
    conservative). 300 runs each, stopped at 20,000 observations."""
    design = SprtDesign()
    rng = random.Random(2024)

    def run(rate: float) -> SprtDecision:
        state = design.start()
        for _ in range(20_000):
            state = state.observe(rng.random() < rate)
            if state.decision is not SprtDecision.CONTINUE:
                break
        return state.decision

    false_alarms = sum(run(0.001) is SprtDecision.REJECT for _ in range(300))
    misses = sum(run(0.01) is SprtDecision.ACCEPT for _ in range(300))
    assert false_alarms / 300 <= 0.05 + 0.03
    assert misses / 300 <= 0.20 + 0.05


def test_summary_shows_the_ratio_and_the_decision() -> None:
    summary = SprtDesign().start().observe(True).observe(True).summary
    assert summary.endswith("reject")
    assert "+2.773" in summary


@pytest.mark.parametrize(
    "kwargs", [{"p0": 0.0}, {"p1": 1.0}, {"p0": 0.02, "p1": 0.01}, {"alpha": 1.5}, {"beta": -0.1}]
)
def test_bad_designs_raise_invalid_value(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidValueError):
        SprtDesign(**kwargs)


def test_more_errors_than_trials_raise_invalid_value() -> None:
    with pytest.raises(InvalidValueError):
        SprtDesign().start().observe_counts(errors=5, trials=3)

"""Canary state machine: 5 % -> 25 % -> 50 % -> 100 %, baking per stage, rollback on any guardrail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain import canary
from galfriday.domain.canary import (
    ArmStats,
    CanaryAction,
    CanaryFinished,
    CanaryPlan,
    CanaryStage,
    CanaryStatus,
    Guardrails,
    StageEvidence,
    drawdown,
    evaluate,
)
from galfriday.errors import InvalidValueError

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
PLAN = CanaryPlan.default()
CLEAN = (False,) * 200  # enough clean decisions for the SPRT to accept p0 (it needs 172)


def healthy(decisions: tuple[bool, ...] = CLEAN) -> StageEvidence:
    return StageEvidence(
        decisions,
        candidate=ArmStats(200, 0.001, 200, 0.55),
        control=ArmStats(200, 0.001, 200, 0.55),
    )


def test_the_default_plan_is_5_25_50_100_percent() -> None:
    assert [stage.share for stage in PLAN.stages] == [0.05, 0.25, 0.50, 1.00]
    assert all(stage.bake == HOUR and stage.min_decisions == 100 for stage in PLAN.stages)


def test_a_canary_starts_at_its_first_stage() -> None:
    state = canary.start(PLAN, T0)
    assert (state.stage_index, state.share, state.status) == (0, 0.05, CanaryStatus.RUNNING)


def test_a_stage_holds_until_its_baking_period_has_passed() -> None:
    step = evaluate(canary.start(PLAN, T0), healthy(), T0 + timedelta(minutes=59))
    assert step.action is CanaryAction.HOLD
    assert step.state.stage_index == 0
    assert "baking: 0:59:00 of 1:00:00 elapsed" in step.reasons


def test_a_stage_holds_until_it_has_seen_enough_decisions() -> None:
    plan = CanaryPlan.default(min_decisions=300)
    step = evaluate(canary.start(plan, T0), healthy(), T0 + HOUR)
    assert step.action is CanaryAction.HOLD
    assert "baking: 200 of 300 candidate decisions" in step.reasons


def test_a_stage_holds_until_the_error_sprt_accepts() -> None:
    step = evaluate(canary.start(PLAN, T0), healthy((False,) * 150), T0 + HOUR)
    assert step.action is CanaryAction.HOLD
    assert any("SPRT has not yet accepted" in reason for reason in step.reasons)


def test_the_sprt_acceptance_requirement_can_be_turned_off() -> None:
    plan = CanaryPlan.default(guardrails=Guardrails(require_sprt_accept=False))
    step = evaluate(canary.start(plan, T0), healthy((False,) * 150), T0 + HOUR)
    assert step.action is CanaryAction.ADVANCE


def test_a_baked_healthy_stage_advances_to_the_next_share_and_restarts_the_clock() -> None:
    step = evaluate(canary.start(PLAN, T0), healthy(), T0 + HOUR)
    assert step.action is CanaryAction.ADVANCE
    assert (step.state.stage_index, step.state.share, step.state.stage_started_at) == (1, 0.25, T0 + HOUR)
    assert "advancing to 25%" in step.reasons[0]


def test_the_last_stage_completes_the_canary() -> None:
    state = canary.start(PLAN, T0)
    actions = []
    for stage in range(4):
        step = evaluate(state, healthy(), T0 + (stage + 1) * HOUR)
        actions.append(step.action)
        state = step.state
    assert actions == [CanaryAction.ADVANCE] * 3 + [CanaryAction.COMPLETE]
    assert (state.status, state.share) == (CanaryStatus.COMPLETED, 1.0)


def test_an_elevated_error_rate_rolls_back_by_sprt() -> None:
    errors = (False,) * 20 + (True, True)  # ln(10) per error: two errors pass +2.773 before any acceptance
    step = evaluate(canary.start(PLAN, T0), healthy(errors), T0 + timedelta(minutes=5))
    assert step.action is CanaryAction.ROLLBACK
    assert (step.state.status, step.state.share) == (CanaryStatus.ROLLED_BACK, 0.0)
    assert "reject" in step.reasons[0]


def test_errors_roll_back_even_after_the_stage_has_baked() -> None:
    errors = (False,) * 50 + (True,) * 3
    assert evaluate(canary.start(PLAN, T0), healthy(errors), T0 + 2 * HOUR).action is CanaryAction.ROLLBACK


def latency_evidence(candidate_p99: float) -> StageEvidence:
    return StageEvidence(CLEAN, candidate=ArmStats(100, candidate_p99), control=ArmStats(100, 0.001))


def test_slow_latency_is_tolerated_until_it_has_lasted_five_minutes() -> None:
    state = canary.start(PLAN, T0)
    first = evaluate(state, latency_evidence(0.0025), T0 + timedelta(minutes=10))
    assert first.action is CanaryAction.HOLD
    assert first.state.latency_breach_since == T0 + timedelta(minutes=10)
    later = evaluate(first.state, latency_evidence(0.0025), T0 + timedelta(minutes=15))
    assert later.action is CanaryAction.ROLLBACK
    assert "latency p99" in later.reasons[0]


def test_latency_back_within_limits_clears_the_breach() -> None:
    first = evaluate(canary.start(PLAN, T0), latency_evidence(0.0025), T0 + timedelta(minutes=10))
    recovered = evaluate(first.state, latency_evidence(0.0015), T0 + timedelta(minutes=12))
    assert recovered.state.latency_breach_since is None
    again = evaluate(recovered.state, latency_evidence(0.0025), T0 + timedelta(minutes=16))
    assert again.action is CanaryAction.HOLD


def test_latency_is_not_judged_on_too_few_samples() -> None:
    evidence = StageEvidence(CLEAN, candidate=ArmStats(10, 1.0), control=ArmStats(100, 0.001))
    step = evaluate(canary.start(PLAN, T0), evidence, T0 + HOUR)
    assert step.action is CanaryAction.ADVANCE
    assert "not judged" in step.guardrails[1].reason


def test_a_worse_outcome_than_control_beyond_the_margin_rolls_back() -> None:
    evidence = StageEvidence(
        CLEAN, candidate=ArmStats(0, None, 200, 0.49), control=ArmStats(0, None, 200, 0.55)
    )
    step = evaluate(canary.start(PLAN, T0), evidence, T0 + timedelta(minutes=30))
    assert step.action is CanaryAction.ROLLBACK
    assert "outcome mean 0.4900 vs control 0.5500" in step.reasons[0]


def test_an_outcome_within_the_margin_does_not_roll_back() -> None:
    evidence = StageEvidence(
        CLEAN, candidate=ArmStats(0, None, 200, 0.51), control=ArmStats(0, None, 200, 0.55)
    )
    assert evaluate(canary.start(PLAN, T0), evidence, T0 + HOUR).action is CanaryAction.ADVANCE


def test_a_drawdown_above_the_limit_rolls_back() -> None:
    plan = CanaryPlan.default(guardrails=Guardrails(max_drawdown=Decimal("100")))
    evidence = StageEvidence(CLEAN, candidate_drawdown=Decimal("100.01"))
    step = evaluate(canary.start(plan, T0), evidence, T0 + timedelta(minutes=1))
    assert step.action is CanaryAction.ROLLBACK
    assert step.reasons == ("drawdown 100.01 above the limit 100",)


def test_drawdown_is_the_largest_fall_from_the_running_peak() -> None:
    pnl = [Decimal(x) for x in ("10", "-4", "5", "-12", "3", "-1")]
    assert drawdown(pnl) == Decimal("12")  # peak 11, trough -1
    assert drawdown([Decimal("-3"), Decimal("1")]) == Decimal("3")
    assert drawdown([]) == Decimal(0)


def test_every_tripped_guardrail_is_a_reason() -> None:
    plan = CanaryPlan.default(guardrails=Guardrails(max_drawdown=Decimal("1")))
    evidence = StageEvidence(
        (True,) * 3,
        candidate=ArmStats(0, None, 200, 0.3),
        control=ArmStats(0, None, 200, 0.6),
        candidate_drawdown=Decimal("5"),
    )
    step = evaluate(canary.start(plan, T0), evidence, T0)
    assert [r.name for r in step.guardrails if r.tripped] == ["errors", "outcome", "drawdown"]
    assert len(step.reasons) == 3


def test_a_finished_canary_refuses_more_evidence() -> None:
    rolled_back = evaluate(canary.start(PLAN, T0), healthy((True,) * 3), T0).state
    with pytest.raises(CanaryFinished, match="rolled_back"):
        evaluate(rolled_back, healthy(), T0 + HOUR)


@pytest.mark.parametrize(
    "shares",
    [[0.05, 0.5], [0.5, 0.25, 1.0], [0.1, 0.1, 1.0], []],
)
def test_a_plan_must_grow_strictly_to_100_percent(shares: list[float]) -> None:
    with pytest.raises(InvalidValueError, match="stages"):
        CanaryPlan([CanaryStage(share) for share in shares])


@pytest.mark.parametrize("share", [0.0, 1.5, -0.1])
def test_a_stage_share_must_be_in_0_1(share: float) -> None:
    with pytest.raises(InvalidValueError, match="share"):
        CanaryStage(share)


def test_guardrail_limits_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="latency_ratio"):
        Guardrails(latency_ratio=1.0)
    with pytest.raises(InvalidValueError, match="max_drawdown"):
        Guardrails(max_drawdown=Decimal("-1"))


arm_stats = st.builds(
    ArmStats,
    st.integers(0, 300),
    st.one_of(st.none(), st.floats(1e-6, 1.0)),
    st.integers(0, 300),
    st.one_of(st.none(), st.floats(0.0, 1.0)),
)
evidence = st.builds(
    StageEvidence,
    st.lists(st.sampled_from([False] * 99 + [True]), max_size=300).map(tuple),
    arm_stats,
    arm_stats,
    st.decimals(0, 500, places=2),
)


@given(st.lists(st.tuples(evidence, st.integers(0, 7_200)), min_size=1, max_size=12))
def test_the_canary_only_moves_forward_and_never_past_a_tripped_guardrail(
    steps: list[tuple[StageEvidence, int]],
) -> None:
    plan = CanaryPlan.default(guardrails=Guardrails(max_drawdown=Decimal("250")))
    state = canary.start(plan, T0)
    now = T0
    for seen, seconds in steps:
        if state.status is not CanaryStatus.RUNNING:
            break
        now += timedelta(seconds=seconds)
        step = evaluate(state, seen, now)
        tripped = any(g.tripped for g in step.guardrails)
        assert (step.action is CanaryAction.ROLLBACK) == tripped
        if step.action is CanaryAction.ADVANCE:
            assert step.state.stage_index == state.stage_index + 1
            assert step.state.share > state.share
        elif step.action is CanaryAction.COMPLETE:
            assert state.stage_index == len(plan.stages) - 1
        elif step.action is CanaryAction.ROLLBACK:
            assert step.state.share == 0.0
        else:
            assert step.state.stage_index == state.stage_index
            assert step.reasons
        state = step.state

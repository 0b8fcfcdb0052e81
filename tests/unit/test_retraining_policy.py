"""Retraining policy: what triggers a retrain, and what holds one back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from galfriday.domain.retraining_policy import (
    ModelCondition,
    RetrainingPolicy,
    RetrainTrigger,
    decide,
)
from galfriday.errors import InvalidValueError

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
FRESH = NOW - timedelta(days=1)
POLICY = RetrainingPolicy()


def condition(**kwargs: object) -> ModelCondition:
    values: dict[str, object] = {"model_name": "btc-direction", "trained_at": FRESH}
    values.update(kwargs)
    return ModelCondition(**values)  # type: ignore[arg-type]


def test_a_fresh_healthy_model_is_not_retrained() -> None:
    decision = decide(POLICY, condition(), NOW)
    assert not decision.retrain
    assert decision.triggers == ()
    assert "no trigger" in decision.reasons[0]


def test_a_model_with_no_production_version_is_trained_at_once() -> None:
    decision = decide(POLICY, condition(trained_at=None), NOW)
    assert decision.retrain
    assert decision.triggers == (RetrainTrigger.NO_MODEL,)


def test_a_drift_alert_triggers_a_retrain() -> None:
    decision = decide(POLICY, condition(drift_alert=True), NOW)
    assert decision.retrain
    assert decision.triggers == (RetrainTrigger.DRIFT,)


def test_a_degradation_alarm_triggers_a_retrain() -> None:
    decision = decide(POLICY, condition(degradation_alert=True), NOW)
    assert decision.retrain
    assert decision.triggers == (RetrainTrigger.DEGRADATION,)


def test_a_model_older_than_the_max_age_is_retrained() -> None:
    decision = decide(POLICY, condition(trained_at=NOW - timedelta(days=7, seconds=1)), NOW)
    assert decision.triggers == (RetrainTrigger.MODEL_AGE,)
    assert "exceeds 7 days" in decision.reasons[0]


def test_a_model_exactly_at_the_max_age_is_not_stale_yet() -> None:
    assert not decide(POLICY, condition(trained_at=NOW - timedelta(days=7)), NOW).retrain


def test_the_age_trigger_can_be_turned_off() -> None:
    policy = RetrainingPolicy(max_model_age=None)
    assert not decide(policy, condition(trained_at=NOW - timedelta(days=365)), NOW).retrain


def test_the_schedule_fires_once_its_period_has_passed_since_the_last_retrain() -> None:
    policy = RetrainingPolicy(schedule_every=timedelta(hours=12))
    last = NOW - timedelta(hours=12)
    decision = decide(policy, condition(last_retrain_started_at=last), NOW)
    assert decision.triggers == (RetrainTrigger.SCHEDULE,)
    assert not decide(policy, condition(last_retrain_started_at=last + timedelta(seconds=1)), NOW).retrain


def test_every_trigger_present_is_listed_with_a_reason() -> None:
    stale = NOW - timedelta(days=8)
    decision = decide(POLICY, condition(trained_at=stale, drift_alert=True, degradation_alert=True), NOW)
    assert decision.triggers == (RetrainTrigger.DRIFT, RetrainTrigger.DEGRADATION, RetrainTrigger.MODEL_AGE)
    assert len(decision.reasons) == 3


def test_only_one_retrain_runs_at_a_time() -> None:
    decision = decide(POLICY, condition(drift_alert=True, retrain_running=True), NOW)
    assert not decision.retrain
    assert decision.triggers == (RetrainTrigger.DRIFT,)
    assert "already running" in decision.reasons[-1]


def test_the_cooldown_holds_a_triggered_retrain_and_says_until_when() -> None:
    last = NOW - timedelta(hours=2)
    decision = decide(POLICY, condition(drift_alert=True, last_retrain_started_at=last), NOW)
    assert not decision.retrain
    assert decision.blocked_until == last + timedelta(hours=6)
    assert "cooldown" in decision.reasons[-1]


def test_a_retrain_is_allowed_once_the_cooldown_has_passed() -> None:
    last = NOW - timedelta(hours=6)
    assert decide(POLICY, condition(drift_alert=True, last_retrain_started_at=last), NOW).retrain


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"max_model_age": timedelta(0)}, "max_model_age"),
        ({"schedule_every": timedelta(hours=-1)}, "schedule_every"),
        ({"cooldown": timedelta(seconds=-1)}, "cooldown"),
    ],
)
def test_bad_policy_durations_are_refused(kwargs: dict[str, timedelta], name: str) -> None:
    with pytest.raises(InvalidValueError, match=name):
        RetrainingPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        decide(POLICY, condition(), datetime(2026, 11, 24, 12))

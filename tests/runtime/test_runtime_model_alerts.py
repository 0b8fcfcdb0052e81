"""Alerts for the model lifecycle's decisions, through the memory notifier: warnings for a retrain triggered and
for drift held back (once while it persists), critical for an automatic canary rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.domain.alerts import Severity
from galfriday.domain.retraining_policy import RetrainDecision, RetrainTrigger
from galfriday.runtime.model_alerts import ModelDecisionAlerts

NAME = "btc-direction"
T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)


def decision(
    retrain: bool, *triggers: RetrainTrigger, blocked_until: datetime | None = None
) -> RetrainDecision:
    return RetrainDecision(
        model_name=NAME,
        at=T0,
        retrain=retrain,
        triggers=triggers,
        reasons=tuple(f"{t.value} seen" for t in triggers),
        blocked_until=blocked_until,
    )


def alerts() -> tuple[ModelDecisionAlerts, MemoryNotifier]:
    notifier = MemoryNotifier()
    return ModelDecisionAlerts(notifier, ManualClock(T0)), notifier


async def test_a_retrain_that_ran_is_a_warning_naming_its_triggers_and_the_new_version() -> None:
    model_alerts, notifier = alerts()
    await model_alerts.retrain_decided(decision(True, RetrainTrigger.DRIFT), retrained_version=4)
    [alert] = notifier.alerts
    assert alert.severity is Severity.WARNING
    assert alert.title == "model btc-direction: retraining triggered (drift)"
    assert "v4 was trained" in alert.body
    assert ("version", "4") in alert.tags


async def test_drift_held_back_by_the_cooldown_is_a_warning_once_while_it_persists() -> None:
    model_alerts, notifier = alerts()
    held = decision(False, RetrainTrigger.DRIFT, blocked_until=T0 + timedelta(hours=6))
    await model_alerts.retrain_decided(held, retrained_version=None)
    await model_alerts.retrain_decided(held, retrained_version=None)
    [alert] = notifier.alerts
    assert alert.severity is Severity.WARNING
    assert alert.title == "model btc-direction: drift detected, no retrain yet"
    assert (T0 + timedelta(hours=6)).isoformat() in alert.body


async def test_drift_that_returns_after_clearing_is_alerted_again() -> None:
    model_alerts, notifier = alerts()
    drift = decision(False, RetrainTrigger.DRIFT)
    await model_alerts.retrain_decided(drift, retrained_version=None)
    await model_alerts.retrain_decided(decision(False), retrained_version=None)
    await model_alerts.retrain_decided(drift, retrained_version=None)
    assert len(notifier.alerts) == 2


async def test_a_decision_without_drift_or_a_retrain_is_not_alerted() -> None:
    model_alerts, notifier = alerts()
    await model_alerts.retrain_decided(decision(False, RetrainTrigger.MODEL_AGE), retrained_version=None)
    await model_alerts.retrain_decided(decision(False), retrained_version=None)
    assert notifier.alerts == []


async def test_an_automatic_canary_rollback_is_critical() -> None:
    model_alerts, notifier = alerts()
    await model_alerts.canary_rolled_back(NAME, candidate=5, control=4, summary="error rate SPRT rejected")
    [alert] = notifier.alerts
    assert alert.severity is Severity.CRITICAL
    assert alert.title == "model btc-direction: canary v5 rolled back automatically"
    assert "error rate SPRT rejected" in alert.body
    assert "served by v4 again" in alert.body


async def test_an_alert_that_cannot_be_delivered_does_not_stop_the_pipeline() -> None:
    notifier = MemoryNotifier(fail_next=1)
    model_alerts = ModelDecisionAlerts(notifier, ManualClock(T0))
    await model_alerts.canary_rolled_back(NAME, candidate=5, control=4, summary="p99 latency")
    assert notifier.alerts == []

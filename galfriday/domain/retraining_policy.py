"""When to retrain a model: drift, degradation, age or schedule, unless one is running or the cooldown holds.

Triggers (any one is enough): a dataset-level drift alert, a performance-degradation alarm, a production model
older than `max_model_age` (7 days), and, if set, a fixed schedule (`schedule_every` since the last retrain).
A model with no production version yet is retrained at once. Two brakes keep retraining sane: one retrain
at a time per model, and a cooldown (6 hours) after the last one started, so a persistent alert does not
retrain in a loop. The decision lists every trigger and every brake with a reason, for the audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.timestamps import optional_utc, to_utc
from galfriday.errors import InvalidValueError

MAX_MODEL_AGE = timedelta(days=7)
COOLDOWN = timedelta(hours=6)


class RetrainTrigger(StrEnum):
    NO_MODEL = "no_model"
    DRIFT = "drift"
    DEGRADATION = "degradation"
    MODEL_AGE = "model_age"
    SCHEDULE = "schedule"


@frozen
class RetrainingPolicy:
    """The thresholds; `schedule_every=None` turns the schedule off, `max_model_age=None` the age trigger."""

    max_model_age: timedelta | None = MAX_MODEL_AGE
    schedule_every: timedelta | None = None
    cooldown: timedelta = COOLDOWN

    def __attrs_post_init__(self) -> None:
        for name in ("max_model_age", "schedule_every"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise InvalidValueError(name, value, "a positive duration, or None to turn it off")
        if self.cooldown < timedelta(0):
            raise InvalidValueError("cooldown", self.cooldown, "zero or a positive duration")


@frozen
class ModelCondition:
    """What the monitoring knows about one model at one instant."""

    model_name: str
    trained_at: datetime | None = field(converter=optional_utc)
    """When the serving (production) version was trained; None if nothing serves yet."""
    drift_alert: bool = False
    degradation_alert: bool = False
    last_retrain_started_at: datetime | None = field(default=None, converter=optional_utc)
    retrain_running: bool = False


@frozen
class RetrainDecision:
    """Whether to retrain now, what asked for it and, if nothing happens, what held it back."""

    model_name: str
    at: datetime = field(converter=to_utc)
    retrain: bool
    triggers: tuple[RetrainTrigger, ...]
    reasons: tuple[str, ...]
    blocked_until: datetime | None = None
    """When the cooldown ends, if the cooldown is what held a triggered retrain back."""

    @property
    def summary(self) -> str:
        verdict = "retrain" if self.retrain else "no retrain"
        return f"{self.model_name}: {verdict} ({'; '.join(self.reasons)})"


def decide(policy: RetrainingPolicy, condition: ModelCondition, now: datetime) -> RetrainDecision:
    """The retraining decision for `condition` at `now` (a timezone-aware instant)."""
    now = to_utc(now)
    triggers, reasons = _triggers(policy, condition, now)
    name = condition.model_name
    if not triggers:
        return RetrainDecision(
            name, now, False, (), ("no trigger: no drift, no degradation, model not stale",)
        )
    if condition.retrain_running:
        reasons.append("held: a retrain of this model is already running (one at a time)")
        return RetrainDecision(name, now, False, tuple(triggers), tuple(reasons))
    last = condition.last_retrain_started_at
    if last is not None and now - last < policy.cooldown:
        until = last + policy.cooldown
        reasons.append(f"held: cooldown of {policy.cooldown} after the retrain started {last.isoformat()}")
        return RetrainDecision(name, now, False, tuple(triggers), tuple(reasons), until)
    return RetrainDecision(name, now, True, tuple(triggers), tuple(reasons))


def _triggers(
    policy: RetrainingPolicy, condition: ModelCondition, now: datetime
) -> tuple[list[RetrainTrigger], list[str]]:
    triggers: list[RetrainTrigger] = []
    reasons: list[str] = []
    if condition.trained_at is None:
        triggers.append(RetrainTrigger.NO_MODEL)
        reasons.append("no production version to serve")
    if condition.drift_alert:
        triggers.append(RetrainTrigger.DRIFT)
        reasons.append("data drift alert")
    if condition.degradation_alert:
        triggers.append(RetrainTrigger.DEGRADATION)
        reasons.append("performance degradation alarm")
    if condition.trained_at is not None and policy.max_model_age is not None:
        age = now - condition.trained_at
        if age > policy.max_model_age:
            triggers.append(RetrainTrigger.MODEL_AGE)
            reasons.append(f"model age {age} exceeds {policy.max_model_age}")
    if policy.schedule_every is not None:
        since = condition.last_retrain_started_at or condition.trained_at
        if since is not None and now - since >= policy.schedule_every:
            triggers.append(RetrainTrigger.SCHEDULE)
            reasons.append(f"scheduled every {policy.schedule_every}; last at {since.isoformat()}")
    return triggers, reasons

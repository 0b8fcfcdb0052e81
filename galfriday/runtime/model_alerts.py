"""Alerts for the automated model lifecycle's decisions, through the runtime's notifier: a warning when a
retrain is triggered, or when drift or degradation is detected and a retrain is held back (cooldown), and a
critical alert when a canary is rolled back automatically.

A condition that persists (drift during a 6 h cooldown, checked every few minutes) is alerted once, when the
triggers of a model's decision change. An alert that cannot be delivered is logged and does not stop the
pipeline.
"""

from __future__ import annotations

import logging

from galfriday.domain.alerts import Alert, Severity
from galfriday.domain.retraining_policy import RetrainDecision, RetrainTrigger
from galfriday.ports.clock import Clock
from galfriday.ports.notifier import Notifier

log = logging.getLogger(__name__)

DETECTED = frozenset({RetrainTrigger.DRIFT, RetrainTrigger.DEGRADATION})
"""Triggers that tell of a model going wrong, alerted even when no retrain follows."""


class ModelDecisionAlerts:
    """Turns the pipeline's decisions into alerts (see the module docstring)."""

    def __init__(self, notifier: Notifier, clock: Clock) -> None:
        self._notifier = notifier
        self._clock = clock
        self._held: dict[str, frozenset[RetrainTrigger]] = {}

    async def retrain_decided(self, decision: RetrainDecision, *, retrained_version: int | None) -> None:
        """Alert a retrain that ran (`retrained_version`), or drift/degradation held back, once per change."""
        name = decision.model_name
        triggers = ", ".join(t.value for t in decision.triggers)
        reasons = "; ".join(decision.reasons)
        if retrained_version is not None:
            self._held.pop(name, None)
            await self._send(
                Severity.WARNING,
                f"model {name}: retraining triggered ({triggers})",
                f"v{retrained_version} was trained and goes through validation and a shadow experiment. {reasons}",
                (("model", name), ("version", str(retrained_version)), ("triggers", triggers)),
            )
            return
        detected = frozenset(decision.triggers) & DETECTED
        if not detected:
            self._held.pop(name, None)
            return
        if self._held.get(name) == detected:
            return
        self._held[name] = detected
        until = "" if decision.blocked_until is None else f" until {decision.blocked_until.isoformat()}"
        await self._send(
            Severity.WARNING,
            f"model {name}: {' and '.join(sorted(t.value for t in detected))} detected, no retrain yet",
            f"The retraining policy holds the retrain back{until}. {reasons}",
            (("model", name), ("triggers", triggers)),
        )

    async def canary_rolled_back(self, name: str, *, candidate: int, control: int, summary: str) -> None:
        """Alert an automatic rollback of a canary (critical: a new version misbehaved on live traffic)."""
        await self._send(
            Severity.CRITICAL,
            f"model {name}: canary v{candidate} rolled back automatically",
            f"A guardrail failed: {summary}. All traffic is served by v{control} again.",
            (("model", name), ("candidate", str(candidate)), ("control", str(control))),
        )

    async def _send(
        self, severity: Severity, title: str, body: str, tags: tuple[tuple[str, str], ...]
    ) -> None:
        try:
            await self._notifier.notify(Alert(severity, title, body, self._clock.now(), tags))
        except Exception:
            log.exception("could not deliver the alert %r", title)

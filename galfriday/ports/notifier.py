"""Alerts to humans (log, webhook, chat...)."""

from __future__ import annotations

from typing import Protocol

from galfriday.domain.alerts import Alert


class Notifier(Protocol):
    async def notify(self, alert: Alert) -> None:
        """Deliver an alert. Raises on failure so callers can retry or escalate."""
        ...

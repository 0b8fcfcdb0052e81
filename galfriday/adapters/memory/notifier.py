"""Notifier fake: records alerts in a list, and can be told to fail so callers' retry paths get exercised."""

from __future__ import annotations

from galfriday.domain.alerts import Alert
from galfriday.errors import GalfridayError


class NotificationFailedError(GalfridayError):
    """A simulated delivery failure (`MemoryNotifier.fail_next`)."""

    def __init__(self, alert: Alert) -> None:
        self.alert = alert
        super().__init__(f"simulated failure delivering alert {alert.title!r}; it was not recorded, retry it")


class MemoryNotifier:
    """`Notifier` that appends delivered alerts to `alerts`.

    Set `fail_next` to N and the next N calls raise `NotificationFailedError` without recording the alert.
    """

    def __init__(self, *, fail_next: int = 0) -> None:
        self.alerts: list[Alert] = []
        self.fail_next = fail_next

    async def notify(self, alert: Alert) -> None:
        if self.fail_next > 0:
            self.fail_next -= 1
            raise NotificationFailedError(alert)
        self.alerts.append(alert)

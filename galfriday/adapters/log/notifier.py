"""Notifier that writes alerts to a `logging` logger: the notifier of last resort, so it never raises."""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Final

from galfriday.domain.alerts import Alert, Severity

LEVELS: Final[dict[Severity, int]] = {
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
    Severity.CRITICAL: logging.CRITICAL,
}


class LogNotifier:
    """`Notifier` that logs each alert at the level of its severity.

    The record's message reads `[severity] title: body`; its attributes `severity`, `title`, `body`, `tags`
    (a dict) and `occurred_at` carry the same fields for structured handlers.
    """

    def __init__(self, logger_name: str = "galfriday.alerts") -> None:
        self.logger = logging.getLogger(logger_name)

    async def notify(self, alert: Alert) -> None:
        try:
            self.logger.log(
                LEVELS.get(alert.severity, logging.WARNING),
                "[%s] %s: %s",
                alert.severity.value,
                alert.title,
                alert.body,
                extra={
                    "severity": alert.severity.value,
                    "title": alert.title,
                    "body": alert.body,
                    "tags": dict(alert.tags),
                    "occurred_at": alert.occurred_at,
                },
            )
        except Exception as exc:
            # Raising here would turn an alert into a crash of whoever tried to raise the alarm.
            with contextlib.suppress(Exception):
                sys.stderr.write(f"galfriday: could not log alert {alert!r}: {exc!r}\n")

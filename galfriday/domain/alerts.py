"""Alerts sent to humans through the notifier port."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.timestamps import to_utc


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@frozen
class Alert:
    severity: Severity = field(converter=Severity)
    title: str
    body: str
    occurred_at: datetime = field(converter=to_utc)
    tags: tuple[tuple[str, str], ...] = ()

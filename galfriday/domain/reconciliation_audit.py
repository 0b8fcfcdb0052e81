"""The reconciliation audit trail: what each reconciliation run found and every correction it made.

A run is recorded once, when it ends (append-only). Each adjustment names the run that made it, what it touched
(`subject`: "balance:BTC", "position:BTC/USD", "order:OABC-123") and the value before and after. Adjustment ids
are chosen deterministically by the service, so recording the same correction again is recognised and ignored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from attrs import Attribute, field, frozen

from galfriday.domain.amounts import exact
from galfriday.domain.json_documents import json_object
from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError


class RunKind(StrEnum):
    """What started a reconciliation run."""

    STARTUP = "startup"
    SCHEDULED = "scheduled"
    RECONNECT = "reconnect"
    MANUAL = "manual"


class RunStatus(StrEnum):
    """How a run ended: everything checked, nothing checked, or some checks failed."""

    SUCCESS = "success"
    FAILED = "failed"
    PARTIAL = "partial"


def _non_empty(instance: object, attribute: Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidValueError(attribute.name, value, "a non-empty string")


def _count(instance: object, attribute: Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValueError(attribute.name, value, "a whole number, zero or more")


def _report(value: object) -> dict[str, Any]:
    return json_object("report", value)


def _old_value(value: object) -> Decimal | None:
    return None if value is None else exact("old_value", value)


def _new_value(value: object) -> Decimal | None:
    return None if value is None else exact("new_value", value)


@frozen
class ReconciliationRun:
    """The audit record of one reconciliation run; `report` is a JSON object (see `json_documents`)."""

    id: str = field(validator=_non_empty)
    kind: RunKind = field(converter=RunKind)
    status: RunStatus = field(converter=RunStatus)
    started_at: datetime = field(converter=to_utc)
    finished_at: datetime = field(converter=to_utc)
    discrepancies_found: int = field(validator=_count)
    auto_corrected: int = field(validator=_count)
    manual_review_required: int = field(validator=_count)
    report: dict[str, Any] = field(factory=dict, converter=_report)

    def __attrs_post_init__(self) -> None:
        if self.finished_at < self.started_at:
            raise InvalidValueError(
                "finished_at", self.finished_at, f"at or after started_at {self.started_at}"
            )


@frozen
class PositionAdjustment:
    """One correction a run made (or proposed): `subject` moved from `old_value` to `new_value`.

    None stands for "absent": an order or position that did not exist before, or no longer exists after.
    """

    id: str = field(validator=_non_empty)
    run_id: str = field(validator=_non_empty)
    subject: str = field(validator=_non_empty)
    kind: str = field(validator=_non_empty)
    old_value: Decimal | None = field(converter=_old_value)
    new_value: Decimal | None = field(converter=_new_value)
    reason: str
    created_at: datetime = field(converter=to_utc)

"""Timezone-aware UTC instants. A naive datetime is refused, an aware one is normalised to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from galfriday.errors import NaiveDatetimeError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc(field: str, value: Any) -> datetime:
    """Return `value` as a UTC datetime; naive datetimes and other types are refused."""
    if not isinstance(value, datetime):
        raise NaiveDatetimeError(field, value, "a timezone-aware datetime")
    offset = value.utcoffset()
    if offset is None:
        raise NaiveDatetimeError(field, value, "a timezone-aware datetime (UTC); got a naive one")
    return value.astimezone(UTC)


def to_utc(value: Any) -> datetime:
    """attrs converter form of `utc`."""
    return utc("timestamp", value)


def optional_utc(value: Any) -> datetime | None:
    """attrs converter for optional instants."""
    return None if value is None else utc("timestamp", value)

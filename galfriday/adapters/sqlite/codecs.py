"""Values to and from SQLite columns: exact decimal TEXT, integer microseconds, JSON TEXT.

SQLite has no exact numeric type, so an amount is stored as `str(Decimal)` and read back with `Decimal(text)`,
which keeps every digit and the exponent (`0.10` stays `0.10`). An instant is whole microseconds since the
Unix epoch in UTC: exact, and sortable as an integer. A float or a naive datetime is refused here, before it
reaches SQL, with the typed error that names the field.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from galfriday.domain.timestamps import EPOCH
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

_MICROSECOND = timedelta(microseconds=1)


def decimal_to_text(field: str, value: object) -> str:
    """An exact amount as TEXT; floats, non-Decimals and non-finite Decimals are refused."""
    if isinstance(value, float):
        raise FloatAmountError(field, value, "a Decimal; floats are not exact and are never stored")
    if not isinstance(value, Decimal):
        raise InvalidValueError(field, value, "a Decimal amount")
    if not value.is_finite():
        raise InvalidValueError(field, value, "a finite Decimal")
    return str(value)


def optional_decimal_to_text(field: str, value: object) -> str | None:
    return None if value is None else decimal_to_text(field, value)


def text_to_decimal(text: str) -> Decimal:
    return Decimal(text)


def optional_text_to_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def instant_to_micros(field: str, value: object) -> int:
    """An aware instant as integer microseconds since the epoch (UTC); naive datetimes are refused."""
    if not isinstance(value, datetime):
        raise NaiveDatetimeError(field, value, "a timezone-aware datetime")
    if value.utcoffset() is None:
        raise NaiveDatetimeError(field, value, "a timezone-aware datetime (UTC); got a naive one")
    return (value - EPOCH) // _MICROSECOND


def optional_instant_to_micros(field: str, value: object) -> int | None:
    return None if value is None else instant_to_micros(field, value)


def micros_to_instant(micros: int) -> datetime:
    """The UTC instant `micros` microseconds after the epoch (exact: no float on the way)."""
    return EPOCH + timedelta(microseconds=micros)


def bool_to_int(value: bool) -> int:
    return 1 if value else 0


def to_json(value: Any) -> str:
    """Compact JSON with sorted keys, so equal values are stored as equal text."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def from_json(text: str) -> Any:
    return json.loads(text)


def amounts_to_json(field: str, amounts: dict[str, Decimal]) -> str:
    """A mapping of currency to amount as a JSON object of decimal strings (exact, like the columns)."""
    return to_json({key: decimal_to_text(f"{field}[{key}]", value) for key, value in amounts.items()})


def json_to_amounts(text: str) -> dict[str, Decimal]:
    return {str(key): Decimal(value) for key, value in from_json(text).items()}

"""Kraken's wire formats: JSON with exact Decimal numbers, fixed-decimal strings, and its time formats.

WebSocket v2 prices and quantities are JSON numbers written the way Kraken's examples show them: exact,
without trailing zeros, but with at least one decimal (`4.0`, `0.566`, `26500.0`). `Fixed` writes a Decimal
as a JSON number with exactly the given decimals (REST times such as `1688666559.8974`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from attrs import frozen

_encode_string = json.encoder.encode_basestring


@frozen
class Fixed:
    """A Decimal written as a JSON number with exactly `places` decimals, truncated."""

    value: Decimal
    places: int


def number_text(value: Decimal) -> str:
    """Kraken's v2 number style: exact digits, trailing zeros dropped, at least one decimal."""
    if value == 0:
        return "0.0"
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def fixed(value: Decimal, places: int, *, rounding: str = ROUND_HALF_UP) -> str:
    """A Decimal as a string with exactly `places` decimals (REST amounts)."""
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=rounding), "f")


def dumps(value: Any) -> str:
    """Compact JSON in which Decimals are numbers with their exact digits."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(number_text(value))
    elif isinstance(value, Fixed):
        out.append(fixed(value.value, value.places, rounding=ROUND_DOWN))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(repr(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_encode_string(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as Kraken JSON: {value!r}")


def rfc3339(at: datetime) -> str:
    """`2023-09-22T10:33:05.709950Z`: microseconds, always six digits (WebSocket v2 timestamps)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_nanos(at: datetime) -> str:
    """`2023-10-04T16:25:00.000000000Z`, as `ohlc` writes `interval_begin`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def rfc3339_seconds(at: datetime) -> str:
    """`2023-03-24T17:41:56Z` (SystemStatus, CancelAllOrdersAfter)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc1123(at: datetime) -> str:
    """`Thu, 06 Jul 23 18:50:48 +0000`, as Time writes it (two-digit year)."""
    return at.astimezone(UTC).strftime("%a, %d %b %y %H:%M:%S +0000")


def unix(at: datetime) -> Decimal:
    """Seconds since the epoch, exact to the microsecond."""
    stamp = at.astimezone(UTC)
    whole = int(stamp.replace(microsecond=0).timestamp())
    return Decimal(whole) + Decimal(stamp.microsecond).scaleb(-6)


def rest_time(at: datetime | None) -> Fixed | int:
    """A REST order or trade time: seconds with four decimals (`1688666559.8974`); 0 when unset."""
    return 0 if at is None else Fixed(unix(at), 4)


def from_unix(seconds: Decimal) -> datetime:
    """The instant `seconds` after the epoch, to the microsecond."""
    micros = int((seconds * 1_000_000).to_integral_value(rounding=ROUND_DOWN))
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)

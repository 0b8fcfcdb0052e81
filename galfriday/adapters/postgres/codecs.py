"""Values at the asyncpg boundary: exact numerics, UTC instants, JSONB.

asyncpg already maps `Decimal` to `numeric` exactly (an unconstrained numeric keeps each value's scale, so
`Decimal("0.10")` comes back as `0.10`) and aware datetimes to `timestamptz` (read back in UTC). What it would
also accept, and what must never reach a money column or an instant column, is a float or a naive datetime:
`bind` refuses both before any statement is sent. JSONB uses a binary codec, so it works with COPY too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from galfriday.errors import FloatAmountError, NaiveDatetimeError

_JSONB_VERSION = b"\x01"
"""The first byte of jsonb's binary wire format (format version 1), followed by the JSON text."""


def encode_jsonb(value: Any) -> bytes:
    return _JSONB_VERSION + orjson.dumps(value)


def decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def register_codecs(connection: Any) -> None:
    """Pool `init` hook: jsonb as Python objects, in binary form (so `copy_records_to_table` handles it)."""
    await connection.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=encode_jsonb, decoder=decode_jsonb, format="binary"
    )


def bind(statement: str, values: Sequence[Any]) -> Sequence[Any]:
    """The one place statement parameters pass: refuse floats and naive datetimes, at any array depth.

    A dict is a JSON document (floats are legitimate there) and is not inspected.
    """
    for position, value in enumerate(values, start=1):
        _refuse_inexact(statement, f"${position}", value)
    return values


def _refuse_inexact(statement: str, where: str, value: Any) -> None:
    if isinstance(value, float):
        raise FloatAmountError(
            f"{statement} parameter {where}", value, "a Decimal (or an int); floats are not exact"
        )
    if isinstance(value, datetime) and value.utcoffset() is None:
        raise NaiveDatetimeError(f"{statement} parameter {where}", value, "a timezone-aware datetime (UTC)")
    if isinstance(value, list | tuple):
        for item in value:
            _refuse_inexact(statement, f"{where}[]", item)

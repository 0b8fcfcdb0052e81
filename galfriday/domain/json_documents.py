"""JSON documents held by domain records: values that every store round-trips unchanged.

A report, a config or a conclusion is stored as JSON (jsonb on Postgres, TEXT on SQLite, a copy in memory). So
that what is read back equals what was written on every backend, a document is checked and normalised when the
record is built: objects with string keys, lists (a tuple becomes a list), strings, booleans, None, ints and
finite floats. Anything else (a Decimal, a datetime, NaN) is refused with the path of the bad value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from galfriday.errors import InvalidValueError

JSON_EXPECTED = "JSON: objects with string keys, lists, strings, booleans, None, ints or finite floats"


def json_value(path: str, value: Any) -> Any:
    """A deep, normalised copy of `value`; `InvalidValueError` naming the path of anything not JSON."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValueError(path, value, "a finite float (JSON has no NaN or infinity)")
        return value
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValueError(f"{path} key", key, "a string (JSON object keys are strings)")
            copied[key] = json_value(f"{path}[{key!r}]", item)
        return copied
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [json_value(f"{path}[{index}]", item) for index, item in enumerate(value)]
    raise InvalidValueError(path, value, JSON_EXPECTED)


def json_object(field: str, value: Any) -> dict[str, Any]:
    """A JSON object (see `json_value`), copied so the record owns it."""
    if not isinstance(value, Mapping):
        raise InvalidValueError(field, value, "a JSON object (a dict with string keys)")
    result: dict[str, Any] = json_value(field, value)
    return result


def finite_float(field: str, value: Any) -> float:
    """An int or float as a finite float; booleans, strings and NaN are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(field, value, "a number")
    result = float(value)
    if not math.isfinite(result):
        raise InvalidValueError(field, value, "a finite number (JSON has no NaN or infinity)")
    return result

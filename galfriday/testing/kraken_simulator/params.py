"""Request parameters from a form-encoded or JSON body (or a query string), read the way Kraken reads
them: a malformed value answers `EGeneral:Invalid arguments:<name>`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from galfriday.testing.kraken_simulator.errors import invalid_arguments

_TRUE = ("true", "1")
_FALSE = ("false", "0")


class Params:
    """Named request values, as strings or JSON values."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def from_form(cls, body: str) -> Params:
        return cls(dict(parse_qsl(body, keep_blank_values=True)))

    @classmethod
    def from_json(cls, body: bytes) -> Params:
        try:
            values = json.loads(body or b"{}", parse_float=Decimal)
        except ValueError:
            raise invalid_arguments() from None
        if not isinstance(values, dict):
            raise invalid_arguments()
        return cls(values)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str) -> str | None:
        """The value as text (`true`/`false` for booleans, commas joining a list); None when absent."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        return str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None or value == "":
            raise invalid_arguments(name)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise invalid_arguments(name)

    def integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise invalid_arguments(name)
        try:
            return int(value) if isinstance(value, int) else int(str(value), 10)
        except ValueError:
            raise invalid_arguments(name) from None

    def decimal(self, name: str) -> Decimal | None:
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise invalid_arguments(name)
        try:
            result = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            raise invalid_arguments(name) from None
        if not result.is_finite():
            raise invalid_arguments(name)
        return result

    def items(self, name: str) -> list[str]:
        """A comma-separated list (or a JSON list) of values; empty when absent."""
        value = self._values.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(item) for item in value]
        text = self.text(name) or ""
        return [item.strip() for item in text.split(",") if item.strip()]

    def raw(self, name: str) -> Any:
        return self._values.get(name)

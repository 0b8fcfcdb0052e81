"""Exact amounts: every price, quantity and balance is a finite `Decimal`, never a float."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from galfriday.errors import FloatAmountError, InvalidValueError

ZERO = Decimal(0)


def exact(field: str, value: Any) -> Decimal:
    """Return `value` as a finite Decimal; ints and numeric strings convert, floats are refused."""
    if isinstance(value, bool):
        raise InvalidValueError(field, value, "a Decimal amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        raise FloatAmountError(field, value, "a Decimal (or a decimal string); floats are not exact")
    elif isinstance(value, str):
        try:
            result = Decimal(value)
        except ArithmeticError:
            raise InvalidValueError(field, value, "a decimal number such as '0.015'") from None
    else:
        raise InvalidValueError(field, value, "a Decimal amount")
    if not result.is_finite():
        raise InvalidValueError(field, value, "a finite Decimal")
    return result


def positive(field: str, value: Any) -> Decimal:
    """An exact amount that must be strictly positive."""
    result = exact(field, value)
    if result <= 0:
        raise InvalidValueError(field, value, "a Decimal greater than zero")
    return result


def non_negative(field: str, value: Any) -> Decimal:
    """An exact amount that must be zero or more."""
    result = exact(field, value)
    if result < 0:
        raise InvalidValueError(field, value, "a Decimal of zero or more")
    return result


def amount(field: str, check: Callable[[str, Any], Decimal] = exact) -> Callable[[Any], Decimal]:
    """attrs converter for the named field: ints and decimal strings become Decimals, floats are refused.

    mypy's attrs plugin cannot type a converter built by a factory, so fields using one carry
    `# type: ignore[misc]`; their `__init__` parameters are typed `Any`, and the converter checks at run time.
    """

    def convert(value: Any) -> Decimal:
        return check(field, value)

    return convert


def optional_amount(field: str) -> Callable[[Any], Decimal | None]:
    """attrs converter for an optional amount."""

    def convert(value: Any) -> Decimal | None:
        return None if value is None else exact(field, value)

    return convert

"""What the store contract modules share: a write or a read in a unit of work of its own, and assertions that
values came back exactly (same decimal digits and exponent, same instant in UTC).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

from galfriday.ports.stores import Store, UnitOfWork

T = TypeVar("T")

EXACT_AMOUNTS = ["0.00000001", "12345678901234.123456789", "2.50"]
"""Decimals that a float, or a column with too little scale, would change: tiny, wide, trailing zero."""

FAR_FROM_UTC = timezone(timedelta(hours=5, minutes=45))
ODD_INSTANT = datetime(2026, 3, 29, 7, 15, 30, 123456, tzinfo=FAR_FROM_UTC)
"""An aware instant off UTC with microseconds: it must come back as the same instant, in UTC."""


class DeliberateError(Exception):
    """Raised inside a unit of work to prove that an exception discards its writes."""


async def write(store: Store, action: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    """Run `action` in its own unit of work and commit."""
    async with store.unit_of_work() as uow:
        await action(uow)
        await uow.commit()


async def read(store: Store, query: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run `query` in its own unit of work (which then rolls back) and return its answer."""
    async with store.unit_of_work() as uow:
        return await query(uow)


def assert_same_decimal(actual: Decimal, expected: Decimal) -> None:
    """Equal in value and in form: same digits, same exponent."""
    assert actual == expected
    assert actual.as_tuple() == expected.as_tuple(), f"{actual!s} came back for {expected!s}"


def assert_same_utc_instant(actual: datetime, expected: datetime) -> None:
    assert actual == expected
    assert actual.utcoffset() == timedelta(0), f"{actual!r} is not in UTC"

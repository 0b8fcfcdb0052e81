"""Balances per asset: total, available, and what open orders reserve."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from galfriday.domain.amounts import amount, non_negative
from galfriday.domain.instruments import asset_code
from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError


@frozen
class Balance:
    """Holdings of one asset. `available` excludes what open orders reserve."""

    asset: str = field(converter=asset_code)
    total: Decimal = field(converter=amount("total", non_negative))  # type: ignore[misc]
    available: Decimal = field(converter=amount("available", non_negative))  # type: ignore[misc]
    updated_at: datetime = field(converter=to_utc)

    def __attrs_post_init__(self) -> None:
        if self.available > self.total:
            raise InvalidValueError(
                "available", self.available, f"at most the total {self.total} of {self.asset}"
            )

    @property
    def reserved(self) -> Decimal:
        return self.total - self.available

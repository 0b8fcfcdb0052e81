"""Executions (fills): what the exchange reports when part of an order trades."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.amounts import amount, non_negative, positive
from galfriday.domain.instruments import asset_code, parse_symbol
from galfriday.domain.timestamps import to_utc


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is OrderSide.BUY else -1


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"
    UNKNOWN = "unknown"


@frozen
class Execution:
    """One fill. `exec_id` is unique per exchange and is the idempotency key everywhere."""

    exec_id: str
    order_id: str
    symbol: str = field(converter=parse_symbol)
    side: OrderSide = field(converter=OrderSide)
    quantity: Decimal = field(converter=amount("quantity", positive))  # type: ignore[misc]
    price: Decimal = field(converter=amount("price", positive))  # type: ignore[misc]
    timestamp: datetime = field(converter=to_utc)
    fee: Decimal = field(default=Decimal(0), converter=amount("fee", non_negative))  # type: ignore[misc]
    fee_currency: str = field(default="USD", converter=asset_code)
    liquidity: Liquidity = field(default=Liquidity.UNKNOWN, converter=Liquidity)
    trade_id: str | None = None
    client_order_id: str | None = None

    @property
    def cost(self) -> Decimal:
        """Quote-currency value of the fill, before fees."""
        return self.quantity * self.price

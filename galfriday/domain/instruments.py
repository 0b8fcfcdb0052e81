"""Assets and trading pairs, named exchange-neutrally (`BTC/USD`), with per-pair precision."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from attrs import field, frozen

from galfriday.domain.amounts import amount, non_negative
from galfriday.errors import InvalidValueError

_ASSET_CODE = re.compile(r"[A-Z0-9][A-Z0-9.]{0,15}")
_SYMBOL_FORM = "'BASE/QUOTE' of upper-case asset codes, for example 'BTC/USD'"


def asset_code(value: object) -> str:
    """Validate an exchange-neutral asset code: upper case, digits, and '.' for variants such as `ETH2.S`."""
    if not isinstance(value, str) or not _ASSET_CODE.fullmatch(value):
        raise InvalidValueError("asset", value, "an upper-case code such as 'BTC' or 'ETH2.S'")
    return value


@frozen
class Asset:
    """A currency or token, by its exchange-neutral code (`BTC`, `USD`, `DOGE`)."""

    code: str = field(converter=asset_code)
    decimals: int = 8


@frozen
class Symbol:
    """An exchange-neutral pair symbol, `BASE/QUOTE`."""

    base: str = field(converter=asset_code)
    quote: str = field(converter=asset_code)

    @classmethod
    def parse(cls, text: str) -> Symbol:
        """Parse `BASE/QUOTE`; anything else is refused with an error naming the whole text."""
        parts = text.split("/") if isinstance(text, str) else []
        if len(parts) != 2 or not all(_ASSET_CODE.fullmatch(part) for part in parts):
            raise InvalidValueError("symbol", text, _SYMBOL_FORM)
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"


def parse_symbol(value: object) -> str:
    """Validate and return a symbol string in `BASE/QUOTE` form (cached: a system trades few symbols)."""
    if isinstance(value, str):
        return _parse_symbol_text(value)
    return str(Symbol.parse(value))  # type: ignore[arg-type]


@lru_cache(maxsize=4096)
def _parse_symbol_text(text: str) -> str:
    return str(Symbol.parse(text))


@frozen
class TradingPair:
    """A tradable pair with its tick and lot precision (number of decimal places)."""

    symbol: str = field(converter=parse_symbol)
    price_precision: int = 8
    quantity_precision: int = 8
    min_quantity: Decimal = field(default=Decimal(0), converter=amount("min_quantity", non_negative))  # type: ignore[misc]

    @property
    def base(self) -> str:
        return Symbol.parse(self.symbol).base

    @property
    def quote(self) -> str:
        return Symbol.parse(self.symbol).quote

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_precision)

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.quantity_precision)

    def round_price(self, price: Decimal) -> Decimal:
        """Round a price to the pair's tick (half-even)."""
        return price.quantize(self.tick, rounding=ROUND_HALF_EVEN)

    def round_quantity(self, quantity: Decimal) -> Decimal:
        """Round a quantity down to the pair's lot, so an order never exceeds what was meant."""
        return quantity.quantize(self.lot, rounding=ROUND_DOWN)

    def check_price(self, price: Decimal) -> Decimal:
        """Refuse a price with more decimal places than the pair allows."""
        if price != self.round_price(price):
            raise InvalidValueError(
                "price", price, f"at most {self.price_precision} decimals for {self.symbol}"
            )
        return price

    def check_quantity(self, quantity: Decimal) -> Decimal:
        """Refuse a quantity finer than the lot or below the minimum."""
        if quantity != self.round_quantity(quantity):
            raise InvalidValueError(
                "quantity", quantity, f"at most {self.quantity_precision} decimals for {self.symbol}"
            )
        if quantity < self.min_quantity:
            raise InvalidValueError("quantity", quantity, f"at least {self.min_quantity} for {self.symbol}")
        return quantity

"""Public market data: candles (OHLCV), tickers, trades and order-book levels."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.amounts import amount, non_negative, positive
from galfriday.domain.executions import OrderSide
from galfriday.domain.instruments import parse_symbol
from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError

_new = object.__new__
_set = object.__setattr__


def _interval(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidValueError("interval_seconds", value, "a positive whole number of seconds, such as 60")
    return value


def _trade_count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValueError("trade_count", value, "a whole number of trades, zero or more")
    return value


@frozen
class Candle:
    """One OHLCV bar, keyed by (symbol, interval, open time)."""

    symbol: str = field(converter=parse_symbol)
    interval_seconds: int = field(converter=_interval)
    open_time: datetime = field(converter=to_utc)
    open: Decimal = field(converter=amount("open", positive))  # type: ignore[misc]
    high: Decimal = field(converter=amount("high", positive))  # type: ignore[misc]
    low: Decimal = field(converter=amount("low", positive))  # type: ignore[misc]
    close: Decimal = field(converter=amount("close", positive))  # type: ignore[misc]
    volume: Decimal = field(converter=amount("volume", non_negative))  # type: ignore[misc]
    trade_count: int = field(default=0, converter=_trade_count)

    def __attrs_post_init__(self) -> None:
        if self.high < max(self.open, self.close, self.low):
            raise InvalidValueError("high", self.high, f"at least open, close and low ({self.symbol})")
        if self.low > min(self.open, self.close):
            raise InvalidValueError("low", self.low, f"at most open and close ({self.symbol})")

    @classmethod
    def trusted(
        cls,
        symbol: str,
        interval_seconds: int,
        open_time: datetime,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
        trade_count: int,
    ) -> Candle:
        """Rebuild a candle a store wrote earlier, without converting or validating it again.

        Only for adapters reading back rows that passed through the normal constructor when they were written
        (a one-day query decodes 1,440 of them; validation would cost more than the query). Values must already
        have their domain types: `str`, `int`, aware UTC `datetime`, `Decimal`.
        """
        candle = _new(cls)
        _set(candle, "symbol", symbol)
        _set(candle, "interval_seconds", interval_seconds)
        _set(candle, "open_time", open_time)
        _set(candle, "open", open)
        _set(candle, "high", high)
        _set(candle, "low", low)
        _set(candle, "close", close)
        _set(candle, "volume", volume)
        _set(candle, "trade_count", trade_count)
        return candle

    @property
    def key(self) -> tuple[str, int, datetime]:
        return (self.symbol, self.interval_seconds, self.open_time)


@frozen
class Ticker:
    """Best bid and ask with the last trade price."""

    symbol: str = field(converter=parse_symbol)
    bid: Decimal = field(converter=amount("bid", non_negative))  # type: ignore[misc]
    bid_quantity: Decimal = field(converter=amount("bid_quantity", non_negative))  # type: ignore[misc]
    ask: Decimal = field(converter=amount("ask", non_negative))  # type: ignore[misc]
    ask_quantity: Decimal = field(converter=amount("ask_quantity", non_negative))  # type: ignore[misc]
    last: Decimal = field(converter=amount("last", non_negative))  # type: ignore[misc]
    volume: Decimal = field(converter=amount("volume", non_negative))  # type: ignore[misc]
    timestamp: datetime = field(converter=to_utc)


@frozen
class Trade:
    """A public trade print."""

    symbol: str = field(converter=parse_symbol)
    trade_id: str
    side: OrderSide = field(converter=OrderSide)
    price: Decimal = field(converter=amount("price", positive))  # type: ignore[misc]
    quantity: Decimal = field(converter=amount("quantity", positive))  # type: ignore[misc]
    timestamp: datetime = field(converter=to_utc)


@frozen
class BookLevel:
    """A price level; quantity zero removes the level in an update."""

    price: Decimal = field(converter=amount("price", positive))  # type: ignore[misc]
    quantity: Decimal = field(converter=amount("quantity", non_negative))  # type: ignore[misc]


def _levels(value: Iterable[BookLevel]) -> tuple[BookLevel, ...]:
    """attrs converter: any iterable of levels becomes a tuple (a bare `tuple` leaves mypy a free type)."""
    return tuple(value)


@frozen
class BookUpdate:
    """A snapshot or an incremental update of one side-pair of the book."""

    symbol: str = field(converter=parse_symbol)
    bids: tuple[BookLevel, ...] = field(converter=_levels)
    asks: tuple[BookLevel, ...] = field(converter=_levels)
    is_snapshot: bool
    timestamp: datetime = field(converter=to_utc)


class MarketChannel(StrEnum):
    """Public market-data channels a stream can subscribe to."""

    TICKER = "ticker"
    TRADE = "trade"
    BOOK = "book"
    OHLC = "ohlc"

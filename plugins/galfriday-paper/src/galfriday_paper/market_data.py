"""Public market data of the paper books: trades, book changes and tickers, for the subscribed pairs only.

A book subscription starts with a snapshot of the whole book, then reports the levels whose quantity changed
(zero: the level is gone); a ticker subscription starts with the top of the book and reports it again when
the best bid, best ask or last price changes. There are no candles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from galfriday.domain.amounts import ZERO
from galfriday.domain.events import BookReported, ExchangeEvent, TickerReported, TradeReported
from galfriday.domain.executions import OrderSide
from galfriday.domain.market_data import BookLevel, BookUpdate, MarketChannel, Ticker, Trade
from galfriday.errors import InvalidValueError
from galfriday_paper.book import PaperBook

CHANNELS = frozenset({MarketChannel.TRADE, MarketChannel.BOOK, MarketChannel.TICKER})
"""What the paper exchange publishes."""

_Levels = dict[Decimal, Decimal]


class MarketDataPublisher:
    """Remembers what each subscription was last told, so it reports only what changed."""

    def __init__(self, books: Mapping[str, PaperBook], emit: Callable[[ExchangeEvent], None]) -> None:
        self._books = books
        self._emit = emit
        self._channels: dict[str, set[MarketChannel]] = {}
        self._books_sent: dict[str, tuple[_Levels, _Levels]] = {}
        self._tickers_sent: dict[str, tuple[Decimal, ...]] = {}
        self._last_price: dict[str, Decimal] = {}
        self._volume: dict[str, Decimal] = {}

    def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel], now: datetime) -> None:
        wanted = self._check(symbols, channels)
        for symbol in symbols:
            new = wanted - self._channels.setdefault(symbol, set())
            self._channels[symbol] |= new
            if MarketChannel.BOOK in new:
                self._publish_book(symbol, now, snapshot=True)
            if MarketChannel.TICKER in new:
                self._publish_ticker(symbol, now)

    def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        unwanted = self._check(symbols, channels)
        for symbol in symbols:
            self._channels.get(symbol, set()).difference_update(unwanted)
            if MarketChannel.BOOK in unwanted:
                self._books_sent.pop(symbol, None)
            if MarketChannel.TICKER in unwanted:
                self._tickers_sent.pop(symbol, None)

    def publish(self, symbol: str, trades: Iterable[Trade], now: datetime) -> None:
        """After the book of `symbol` changed: its trades, then the book's changed levels, then the ticker."""
        channels = self._channels.get(symbol, set())
        for trade in trades:
            self._last_price[symbol] = trade.price
            self._volume[symbol] = self._volume.get(symbol, ZERO) + trade.quantity
            if MarketChannel.TRADE in channels:
                self._emit(TradeReported(trade))
        if MarketChannel.BOOK in channels:
            self._publish_book(symbol, now, snapshot=False)
        if MarketChannel.TICKER in channels:
            self._publish_ticker(symbol, now)

    def _publish_book(self, symbol: str, now: datetime, *, snapshot: bool) -> None:
        book = self._books[symbol]
        bids, asks = dict(book.levels(OrderSide.BUY)), dict(book.levels(OrderSide.SELL))
        sent_bids, sent_asks = ({}, {}) if snapshot else self._books_sent.get(symbol, ({}, {}))
        self._books_sent[symbol] = (bids, asks)
        changed_bids = _changed(sent_bids, bids, best_is_highest=True)
        changed_asks = _changed(sent_asks, asks, best_is_highest=False)
        if snapshot or changed_bids or changed_asks:
            self._emit(BookReported(BookUpdate(symbol, changed_bids, changed_asks, snapshot, now)))

    def _publish_ticker(self, symbol: str, now: datetime) -> None:
        book = self._books[symbol]
        bid, bid_quantity = book.best(OrderSide.BUY) or (ZERO, ZERO)
        ask, ask_quantity = book.best(OrderSide.SELL) or (ZERO, ZERO)
        last = self._last_price.get(symbol, ZERO)
        top = (bid, bid_quantity, ask, ask_quantity, last)
        if self._tickers_sent.get(symbol) == top:
            return
        self._tickers_sent[symbol] = top
        volume = self._volume.get(symbol, ZERO)
        self._emit(TickerReported(Ticker(symbol, bid, bid_quantity, ask, ask_quantity, last, volume, now)))

    def _check(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> set[MarketChannel]:
        for symbol in symbols:
            if symbol not in self._books:
                raise InvalidValueError(
                    "symbol", symbol, f"one of the paper exchange's pairs {sorted(self._books)}"
                )
        wanted = {MarketChannel(channel) for channel in channels}
        for channel in wanted - CHANNELS:
            raise InvalidValueError(
                "channel", channel, "ticker, trade or book (the paper exchange builds no candles)"
            )
        return wanted


def _changed(old: _Levels, new: _Levels, *, best_is_highest: bool) -> list[BookLevel]:
    """The levels whose quantity differs between two views of one side, best first; a level gone is zero."""
    prices = sorted({*old, *new}, reverse=best_is_highest)
    return [BookLevel(price, new.get(price, ZERO)) for price in prices if old.get(price) != new.get(price)]

"""The market side of a paper exchange: the other traders, and time.

By hand (tests, simulations)::

    feed = PaperFeed(exchange)
    feed.add_liquidity("BTC/USD", OrderSide.SELL, Decimal("50000"), Decimal("0.5"))  # a resting ask
    feed.trade("BTC/USD", OrderSide.SELL, Decimal("49900"), Decimal("0.1"))  # a seller hits bids >= 49900
    feed.tick()                                                              # act on the clock's time

From another exchange's public market data (any galfriday exchange stream, a recording, a replay)::

    await feed.follow(kraken, ["BTC/USD"])      # subscribes to its book and trades, applies them until it ends

`apply_market_event` maps one event, deliberately simply:

- `BookReported`: the market's quantity at each reported level becomes the reported quantity (a snapshot
  replaces all of the market's levels; our orders stay). The market's order at a level keeps its place in
  the queue when its quantity changes. A level that crosses one of our resting orders trades with it at our
  price (we are the maker): on the real exchange someone would have.
- `TradeReported`: another trader's immediate-or-cancel order at the print's price and size, on the print's
  taker side. It trades with the book in price-time priority, the market's queue ahead of ours included, so
  our order fills only when the print reaches it. The market's liquidity it consumes comes back with the
  source's next book update.
- Anything else (tickers, candles, private events) and symbols the paper exchange does not trade are ignored.

Prices and sizes are taken as the source reports them; times are the paper exchange's clock, not the
source's. The model is optimistic about queue position when the source's book update for a trade arrives
before the trade itself (its liquidity is then removed twice) — good enough to exercise a strategy, not to
measure its fills to the basis point.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from galfriday.domain.amounts import positive
from galfriday.domain.events import BookReported, ExchangeEvent, TradeReported
from galfriday.domain.executions import OrderSide
from galfriday.domain.market_data import MarketChannel
from galfriday.ports.exchange import ExchangeStream
from galfriday_paper.exchange import PaperExchange

FOLLOWED_CHANNELS = (MarketChannel.BOOK, MarketChannel.TRADE)


class PaperFeed:
    """Feeds a `PaperExchange` the rest of the market: liquidity, other traders' trades and the time."""

    def __init__(self, exchange: PaperExchange) -> None:
        self._exchange = exchange

    def add_liquidity(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> Decimal:
        """Another trader's limit order: it trades with what it crosses, the rest rests. Returns what traded."""
        return self._exchange.market_order(
            symbol, OrderSide(side), positive("price", price), positive("quantity", quantity), rest=True
        )

    def trade(self, symbol: str, side: OrderSide, price: Decimal, quantity: Decimal) -> Decimal:
        """Another trader's immediate-or-cancel order at limit `price`. Returns what traded."""
        return self._exchange.market_order(
            symbol, OrderSide(side), positive("price", price), positive("quantity", quantity), rest=False
        )

    def tick(self, now: datetime | None = None) -> None:
        """Let the exchange act on the time `now` (its clock's by default): the dead-man's switch."""
        self._exchange.tick(now)

    def apply_market_event(self, event: ExchangeEvent) -> bool:
        """Apply one event of another exchange's stream; False when it was ignored (see the module doc)."""
        if isinstance(event, BookReported):
            update = event.update
            if not self._exchange.is_traded(update.symbol):
                return False
            self._exchange.market_levels(
                update.symbol,
                [(level.price, level.quantity) for level in update.bids],
                [(level.price, level.quantity) for level in update.asks],
                snapshot=update.is_snapshot,
            )
            return True
        if isinstance(event, TradeReported):
            trade = event.trade
            if not self._exchange.is_traded(trade.symbol):
                return False
            self._exchange.market_order(trade.symbol, trade.side, trade.price, trade.quantity, rest=False)
            return True
        return False

    async def follow(self, source: ExchangeStream, symbols: Sequence[str]) -> int:
        """Subscribe to `source`'s book and trades of `symbols` and apply its events until its stream ends.

        Run it as a task beside the application; cancel it (or close the source) to stop. Returns how many
        events were applied.
        """
        events = source.events()
        await source.subscribe(symbols, FOLLOWED_CHANNELS)
        applied = 0
        async for event in events:
            applied += self.apply_market_event(event)
        return applied

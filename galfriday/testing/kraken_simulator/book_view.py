"""One `book` subscription's view of an order book: what the client holds (the top `depth` levels), the
changes to send after the book moved, and the checksum of the top ten.

As Kraken does, a level removed from the book is sent with quantity 0, and a level pushed beyond the
subscribed depth by a better one is not: the client truncates to its depth after every message.
"""

from __future__ import annotations

from decimal import Decimal

from galfriday.adapters.kraken.checksum import book_checksum
from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator.catalog import KrakenPair
from galfriday.testing.kraken_simulator.depth import Depth, Levels

DEPTHS = (10, 25, 100, 500, 1000)


class BookView:
    """The levels one subscriber holds, per side, best first."""

    def __init__(self, pair: KrakenPair, depth: int) -> None:
        self.pair = pair
        self.depth = depth
        self._held: dict[OrderSide, dict[Decimal, Decimal]] = {OrderSide.BUY: {}, OrderSide.SELL: {}}

    def snapshot(self, book: Depth) -> tuple[Levels, Levels]:
        """The top `depth` bids and asks, now held by the subscriber."""
        bids, asks = (book.top(side, self.depth) for side in (OrderSide.BUY, OrderSide.SELL))
        self._held = {OrderSide.BUY: dict(bids), OrderSide.SELL: dict(asks)}
        return bids, asks

    def changes(self, book: Depth) -> tuple[Levels, Levels]:
        """The bid and ask levels to send so that the subscriber's view matches the book again."""
        bids, asks = (self._side_changes(book, side) for side in (OrderSide.BUY, OrderSide.SELL))
        return bids, asks

    def _side_changes(self, book: Depth, side: OrderSide) -> Levels:
        top = dict(book.top(side, self.depth))
        held = self._held[side]
        changed = [(price, qty) for price, qty in top.items() if held.get(price) != qty]
        changed += [
            (price, ZERO) for price in held if price not in top and not self._beyond(side, price, top)
        ]
        self._held[side] = top
        changed.sort(key=lambda level: level[0], reverse=side is OrderSide.BUY)
        return changed

    def _beyond(self, side: OrderSide, price: Decimal, top: dict[Decimal, Decimal]) -> bool:
        """Whether `price` lies past a full top `depth` (the client truncates it; no zero is sent)."""
        if len(top) < self.depth:
            return False
        worst = min(top) if side is OrderSide.BUY else max(top)
        return price < worst if side is OrderSide.BUY else price > worst

    def checksum(self) -> int:
        """CRC32 of the top ten levels the subscriber holds, at the pair's precisions."""
        return book_checksum(
            self._held[OrderSide.SELL].items(),
            self._held[OrderSide.BUY].items(),
            self.pair.pair_decimals,
            self.pair.lot_decimals,
        )

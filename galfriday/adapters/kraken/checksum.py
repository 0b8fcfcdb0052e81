"""Kraken WebSocket v2 book checksum: CRC32 over the top ten levels of each side.

Asks are taken in ascending price order, then bids in descending price order. Each level contributes its
price then its quantity, each written with the pair's full precision, the decimal point removed and the
leading zeros stripped (``0.5660`` → ``5660``, ``4.00000000`` → ``400000000``). The CRC32 of the
concatenation, as an unsigned 32-bit integer, is Kraken's ``checksum``.

Values are the exact wire ``Decimal``; a value with more decimals than its precision is refused rather
than rounded, because it means the precision is wrong.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterable
from decimal import Decimal

__all__ = ["CHECKSUM_DEPTH", "book_checksum", "checksum_payload", "level_digits"]

CHECKSUM_DEPTH = 10
"""Levels per side that the checksum covers, whatever the subscribed depth."""

Level = tuple[Decimal, Decimal]


def level_digits(value: Decimal, precision: int) -> str:
    """``value`` at ``precision`` decimals, without the point and without leading zeros."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or value < 0:
        raise ValueError(f"not a finite non-negative decimal: {value!r}")
    if exponent < -precision and value != value.quantize(Decimal(1).scaleb(-precision)):
        raise ValueError(f"{value} has more than {precision} decimals")
    digits = str(int(value.scaleb(precision)))
    return "" if digits == "0" else digits


def checksum_payload(
    asks: Iterable[Level], bids: Iterable[Level], price_precision: int, qty_precision: int
) -> str:
    """The string Kraken hashes: the best ten asks ascending, then the best ten bids descending."""
    best_asks = heapq.nsmallest(CHECKSUM_DEPTH, asks, key=_price)
    best_bids = heapq.nlargest(CHECKSUM_DEPTH, bids, key=_price)
    return "".join(
        level_digits(price, price_precision) + level_digits(qty, qty_precision)
        for price, qty in (*best_asks, *best_bids)
    )


def book_checksum(
    asks: Iterable[Level], bids: Iterable[Level], price_precision: int, qty_precision: int
) -> int:
    """Kraken's unsigned CRC32 of the book; ``asks`` and ``bids`` are ``(price, qty)`` pairs in any order."""
    payload = checksum_payload(asks, bids, price_precision, qty_precision)
    return zlib.crc32(payload.encode("ascii")) & 0xFFFFFFFF


def _price(level: Level) -> Decimal:
    return level[0]

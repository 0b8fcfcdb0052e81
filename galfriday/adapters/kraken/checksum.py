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
from collections.abc import Iterable, Sequence
from decimal import Decimal

from galfriday.errors import InvalidValueError

__all__ = ["CHECKSUM_DEPTH", "BookChecksum", "book_checksum", "checksum_payload", "level_digits"]

CHECKSUM_DEPTH = 10
"""Levels per side that the checksum covers, whatever the subscribed depth."""

Level = tuple[Decimal, Decimal]


def level_digits(value: Decimal, precision: int) -> str:
    """``value`` at ``precision`` decimals, without the point and without leading zeros."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or value < 0:
        raise InvalidValueError("book level", value, "a finite non-negative decimal")
    if exponent < -precision and value != value.quantize(Decimal(1).scaleb(-precision)):
        raise InvalidValueError("book level", value, f"no more than {precision} decimals")
    # Decimal formatting, not int(): a hostile 5,000-digit size must not hit Python's int-string limit.
    try:
        scaled = value.scaleb(precision)
    except ArithmeticError:  # an exponent beyond the decimal context's range (a hostile `1e999999999`)
        raise InvalidValueError("book level", value, "a value small enough to checksum") from None
    return f"{scaled:f}".partition(".")[0].lstrip("0")


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


class BookChecksum:
    """The checksum for one pair's precision, remembering formatted values (prices and sizes recur).

    Takes each side best first, as a maintained book holds them, so nothing is sorted per update.
    """

    __slots__ = ("_cache", "_cache_size", "price_precision", "qty_precision")

    def __init__(self, price_precision: int, qty_precision: int, cache_size: int = 65_536) -> None:
        self.price_precision = price_precision
        self.qty_precision = qty_precision
        self._cache_size = cache_size
        self._cache: dict[tuple[Decimal, Decimal], str] = {}

    def __call__(self, asks_best_first: Sequence[Level], bids_best_first: Sequence[Level]) -> int:
        """CRC32 of the first ten asks (lowest first) and the first ten bids (highest first)."""
        cache = self._cache
        parts = []
        for level in (*asks_best_first[:CHECKSUM_DEPTH], *bids_best_first[:CHECKSUM_DEPTH]):
            digits = cache.get(level)
            if digits is None:
                if len(cache) >= self._cache_size:
                    cache.clear()
                digits = level_digits(level[0], self.price_precision) + level_digits(
                    level[1], self.qty_precision
                )
                cache[level] = digits
            parts.append(digits)
        return zlib.crc32("".join(parts).encode("ascii")) & 0xFFFFFFFF


def _price(level: Level) -> Decimal:
    return level[0]

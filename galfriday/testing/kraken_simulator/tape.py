"""Public market data derived from the book and the tape of public trades: `ticker`, `trade` and `ohlc`
payloads for WebSocket v2 (24-hour statistics, candles by interval)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator.catalog import KrakenPair
from galfriday.testing.kraken_simulator.depth import Depth
from galfriday.testing.kraken_simulator.records import PublicTrade
from galfriday.testing.kraken_simulator.wire import rfc3339, rfc3339_nanos

OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
MAX_CANDLES = 720
_DAY = timedelta(days=1)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def recent(tape: Sequence[PublicTrade], since: datetime) -> list[PublicTrade]:
    """The trades at or after `since`, oldest first (scanning from the newest end)."""
    found: list[PublicTrade] = []
    for trade in reversed(tape):
        if trade.time < since:
            break
        found.append(trade)
    found.reverse()
    return found


def ticker(pair: KrakenPair, book: Depth, tape: Sequence[PublicTrade], now: datetime) -> dict[str, Any]:
    """A v2 ticker: best bid and ask, last trade, and 24-hour volume, vwap, low, high and change."""
    bid, bid_qty = (book.top(OrderSide.BUY, 1) or [(ZERO, ZERO)])[0]
    ask, ask_qty = (book.top(OrderSide.SELL, 1) or [(ZERO, ZERO)])[0]
    day = recent(tape, now - _DAY)
    volume = sum((t.qty for t in day), ZERO)
    last = tape[-1].price if tape else ZERO
    opening = day[0].price if day else last
    change = last - opening
    return {
        "symbol": pair.symbol,
        "bid": bid,
        "bid_qty": bid_qty,
        "ask": ask,
        "ask_qty": ask_qty,
        "last": last,
        "volume": volume,
        "vwap": _round(sum((t.price * t.qty for t in day), ZERO) / volume, pair.pair_decimals)
        if volume
        else ZERO,
        "low": min((t.price for t in day), default=ZERO),
        "high": max((t.price for t in day), default=ZERO),
        "change": change,
        "change_pct": _round(change / opening * 100, 2) if opening else ZERO,
        "timestamp": rfc3339(now),
    }


def trade(public: PublicTrade) -> dict[str, Any]:
    return {
        "symbol": public.symbol,
        "side": public.side.value,
        "price": public.price,
        "qty": public.qty,
        "ord_type": public.ord_type,
        "trade_id": public.trade_id,
        "timestamp": rfc3339(public.time),
    }


def interval_begin(at: datetime, minutes: int) -> datetime:
    seconds = minutes * 60
    stamp = int(at.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC)


def candle(pair: KrakenPair, minutes: int, begin: datetime, trades: Sequence[PublicTrade]) -> dict[str, Any]:
    """One v2 OHLC candle over `trades`, which all fall within the interval starting at `begin`."""
    volume = sum((t.qty for t in trades), ZERO)
    return {
        "symbol": pair.symbol,
        "open": trades[0].price,
        "high": max(t.price for t in trades),
        "low": min(t.price for t in trades),
        "close": trades[-1].price,
        "vwap": _round(sum((t.price * t.qty for t in trades), ZERO) / volume, pair.pair_decimals),
        "trades": len(trades),
        "volume": volume,
        "interval_begin": rfc3339_nanos(begin),
        "interval": minutes,
        "timestamp": rfc3339(begin + timedelta(minutes=minutes)),
    }


def candles(pair: KrakenPair, minutes: int, tape: Iterable[PublicTrade]) -> list[dict[str, Any]]:
    """Every candle the tape holds, oldest first, at most the last 720."""
    groups: dict[datetime, list[PublicTrade]] = {}
    for public in tape:
        groups.setdefault(interval_begin(public.time, minutes), []).append(public)
    begins = sorted(groups)[-MAX_CANDLES:]
    return [candle(pair, minutes, begin, groups[begin]) for begin in begins]


def current_candle(pair: KrakenPair, minutes: int, tape: Sequence[PublicTrade]) -> dict[str, Any] | None:
    """The candle of the newest trade's interval, or None on an empty tape."""
    if not tape:
        return None
    begin = interval_begin(tape[-1].time, minutes)
    return candle(pair, minutes, begin, recent(tape, begin))

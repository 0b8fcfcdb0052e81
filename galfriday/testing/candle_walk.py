"""Synthetic candles for tests and demos: a seeded random walk whose one-bar returns are autocorrelated.

With `autocorrelation` phi > 0, tomorrow's return leans the way today's went, so a model trained on the
candle features has something real to learn; phi = 0 is a pure random walk (nothing to learn). `volatility`
is the standard deviation of one-bar log returns; raising it (or the drift) between two walks is a data
drift of known size. Prices are Decimal with 2 decimals, as the store keeps them.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from galfriday.domain.market_data import Candle


def candle_walk(
    n: int,
    *,
    seed: int = 0,
    start: datetime,
    symbol: str = "BTC/USD",
    interval_seconds: int = 3600,
    price: float = 30_000.0,
    volatility: float = 0.01,
    drift: float = 0.0,
    autocorrelation: float = 0.3,
    volume: float = 10.0,
) -> list[Candle]:
    """`n` consecutive candles from `start`, every `interval_seconds`."""
    rng = random.Random(seed)
    candles = []
    previous = 0.0
    close = price
    for index in range(n):
        shock = rng.gauss(0.0, volatility * math.sqrt(1 - autocorrelation**2))
        step = drift + autocorrelation * previous + shock
        previous = step - drift
        open_ = close
        close = open_ * math.exp(step)
        wick = abs(rng.gauss(0.0, volatility / 2))
        high = max(open_, close) * math.exp(wick)
        low = min(open_, close) * math.exp(-abs(rng.gauss(0.0, volatility / 2)))
        candles.append(
            Candle(
                symbol,
                interval_seconds,
                start + timedelta(seconds=interval_seconds * index),
                _price(open_),
                _price(high, up=True),
                _price(low, up=False),
                _price(close),
                Decimal(f"{volume * math.exp(rng.gauss(0.0, 0.5)):.4f}"),
            )
        )
    return candles


def _price(value: float, up: bool | None = None) -> Decimal:
    """Two decimals; highs round up and lows down, so the rounded bar still contains open and close."""
    cents = value * 100
    rounded = math.ceil(cents) if up is True else math.floor(cents) if up is False else round(cents)
    return Decimal(rounded) / 100

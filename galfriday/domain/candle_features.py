"""Model features computed from one symbol's candles, and the direction label they predict.

The same code builds the training set (the sklearn trainer) and the serving/monitoring window (drift
reports), so a feature means the same thing in both places. Per bar t, with close c, high h, low l, volume v
and r_k = ln(c_t / c_{t-k}):

- `ret_1`, `ret_5`, `ret_20`: log returns over 1, 5 and 20 bars (momentum at three horizons);
- `vol_20`: sample standard deviation of the last 20 one-bar log returns (realised volatility);
- `range_1`: ln(h_t / l_t), the bar's high-low range (an intrabar volatility estimate);
- `close_pos`: (c_t - l_t) / (h_t - l_t), where the close sits in the bar's range (0.5 for a flat bar);
- `volume_z_20`: (v_t - mean) / std of the last 20 volumes (0 when they are all equal).

A row exists from the 21st candle on (`WARMUP` bars of history). The label of row t is 1 when the close
`horizon` bars later is above c_t, else 0; the last `horizon` rows have no label. Candles must be one symbol
and interval in strictly increasing time; gaps are not filled (a missing bar stretches that return).
Prices are Decimal in the store; features are floats, as models consume them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import datetime

from attrs import frozen

from galfriday.domain.market_data import Candle
from galfriday.errors import InvalidValueError

FEATURE_NAMES = ("ret_1", "ret_5", "ret_20", "vol_20", "range_1", "close_pos", "volume_z_20")
WARMUP = 20


@frozen
class FeatureTable:
    """One row per bar from the 21st on: its open time and a column per feature name."""

    times: tuple[datetime, ...]
    columns: dict[str, tuple[float, ...]]

    @property
    def rows(self) -> int:
        return len(self.times)

    def row_major(self) -> list[list[float]]:
        """The rows as lists in `FEATURE_NAMES` order (what a model's single float input takes)."""
        return [list(row) for row in zip(*(self.columns[name] for name in FEATURE_NAMES), strict=True)]


def check_candles(candles: Sequence[Candle]) -> None:
    """One symbol and interval, strictly increasing open times; `InvalidValueError` otherwise."""
    if not candles:
        return
    first = candles[0]
    for previous, candle in itertools.pairwise(candles):
        if (candle.symbol, candle.interval_seconds) != (first.symbol, first.interval_seconds):
            raise InvalidValueError(
                "candles", (candle.symbol, candle.interval_seconds), f"only {first.symbol} at one interval"
            )
        if candle.open_time <= previous.open_time:
            raise InvalidValueError("candles", candle.open_time, f"open times after {previous.open_time}")


def candle_features(candles: Sequence[Candle]) -> FeatureTable:
    """The feature rows of `candles` (none if there are at most `WARMUP` of them)."""
    check_candles(candles)
    closes = [float(c.close) for c in candles]
    logs = [math.log(c) for c in closes]
    one_bar = [0.0] + [b - a for a, b in itertools.pairwise(logs)]
    volumes = [float(c.volume) for c in candles]
    columns: dict[str, list[float]] = {name: [] for name in FEATURE_NAMES}
    for t in range(WARMUP, len(candles)):
        candle = candles[t]
        high, low, close = float(candle.high), float(candle.low), closes[t]
        columns["ret_1"].append(logs[t] - logs[t - 1])
        columns["ret_5"].append(logs[t] - logs[t - 5])
        columns["ret_20"].append(logs[t] - logs[t - 20])
        columns["vol_20"].append(_std(one_bar[t - 19 : t + 1]))
        columns["range_1"].append(math.log(high / low))
        columns["close_pos"].append((close - low) / (high - low) if high > low else 0.5)
        window = volumes[t - 19 : t + 1]
        spread = _std(window)
        columns["volume_z_20"].append((volumes[t] - math.fsum(window) / 20) / spread if spread > 0 else 0.0)
    times = tuple(c.open_time for c in candles[WARMUP:])
    return FeatureTable(times, {name: tuple(values) for name, values in columns.items()})


def direction_labels(candles: Sequence[Candle], horizon: int = 1) -> list[int]:
    """1 if the close `horizon` bars after row t is above row t's close, else 0; one per labelled row.

    Row t is the t-th row of `candle_features(candles)`; rows within `horizon` of the end have no label, so
    the list is `horizon` shorter than the feature table.
    """
    if horizon < 1:
        raise InvalidValueError("horizon", horizon, "at least 1 bar")
    closes = [c.close for c in candles]
    return [1 if closes[t + horizon] > closes[t] else 0 for t in range(WARMUP, len(candles) - horizon)]


def _std(values: Sequence[float]) -> float:
    n = len(values)
    mean = math.fsum(values) / n
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))

"""Candle features: each column is the documented formula, rows start after the warm-up, labels look ahead."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from galfriday.domain.candle_features import (
    FEATURE_NAMES,
    WARMUP,
    candle_features,
    direction_labels,
)
from galfriday.domain.market_data import Candle
from galfriday.errors import InvalidValueError
from galfriday.testing.candle_walk import candle_walk

START = datetime(2026, 1, 1, tzinfo=UTC)
CANDLES = candle_walk(60, seed=4, start=START)


def test_one_row_per_candle_after_the_warmup() -> None:
    table = candle_features(CANDLES)
    assert table.rows == 60 - WARMUP
    assert table.times[0] == CANDLES[WARMUP].open_time
    assert set(table.columns) == set(FEATURE_NAMES)


def test_too_few_candles_give_no_rows() -> None:
    assert candle_features(CANDLES[:WARMUP]).rows == 0


def test_returns_are_log_returns_over_1_5_and_20_bars() -> None:
    table = candle_features(CANDLES)
    close = [float(c.close) for c in CANDLES]
    t = 30
    row = t - WARMUP
    assert table.columns["ret_1"][row] == pytest.approx(math.log(close[t] / close[t - 1]))
    assert table.columns["ret_5"][row] == pytest.approx(math.log(close[t] / close[t - 5]))
    assert table.columns["ret_20"][row] == pytest.approx(math.log(close[t] / close[t - 20]))


def test_volatility_is_the_stdev_of_the_last_20_one_bar_returns() -> None:
    table = candle_features(CANDLES)
    close = [float(c.close) for c in CANDLES]
    t = 41
    returns = [math.log(close[i] / close[i - 1]) for i in range(t - 19, t + 1)]
    assert table.columns["vol_20"][t - WARMUP] == pytest.approx(statistics.stdev(returns))


def test_range_and_close_position_describe_the_bar() -> None:
    table = candle_features(CANDLES)
    bar = CANDLES[25]
    high, low, close = float(bar.high), float(bar.low), float(bar.close)
    assert table.columns["range_1"][5] == pytest.approx(math.log(high / low))
    assert table.columns["close_pos"][5] == pytest.approx((close - low) / (high - low))


def flat(n: int) -> list[Candle]:
    price, one = Decimal(100), Decimal(1)
    return [
        Candle("BTC/USD", 60, START + timedelta(minutes=i), price, price, price, price, one) for i in range(n)
    ]


def test_a_flat_bar_sits_mid_range_and_constant_volume_has_zero_z() -> None:
    table = candle_features(flat(25))
    assert set(table.columns["close_pos"]) == {0.5}
    assert set(table.columns["volume_z_20"]) == {0.0}


def test_volume_z_is_the_standard_score_against_the_last_20_volumes() -> None:
    table = candle_features(CANDLES)
    volumes = [float(c.volume) for c in CANDLES[31:51]]
    expected = (volumes[-1] - statistics.fmean(volumes)) / statistics.stdev(volumes)
    assert table.columns["volume_z_20"][50 - WARMUP] == pytest.approx(expected)


def test_labels_say_whether_the_close_rises_over_the_horizon() -> None:
    labels = direction_labels(CANDLES, horizon=3)
    assert len(labels) == 60 - WARMUP - 3
    for row, label in enumerate(labels):
        t = WARMUP + row
        assert label == (1 if CANDLES[t + 3].close > CANDLES[t].close else 0)


def test_row_major_follows_the_feature_order() -> None:
    table = candle_features(CANDLES)
    assert table.row_major()[0] == [table.columns[name][0] for name in FEATURE_NAMES]


def test_candles_of_two_symbols_are_refused() -> None:
    other = candle_walk(1, start=START + timedelta(days=30), symbol="ETH/USD")
    with pytest.raises(InvalidValueError, match="candles"):
        candle_features([*CANDLES, *other])


def test_candles_out_of_order_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="candles"):
        candle_features([CANDLES[1], CANDLES[0]])


def test_a_horizon_below_one_bar_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="horizon"):
        direction_labels(CANDLES, horizon=0)

"""Specification of market data values: candles keep their OHLC invariants, intervals are whole seconds."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from galfriday.domain.executions import OrderSide
from galfriday.domain.market_data import BookLevel, BookUpdate, Candle, MarketChannel, Ticker, Trade
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def candle(**overrides: Any) -> Candle:
    values: dict[str, Any] = {
        "symbol": "BTC/USD",
        "interval_seconds": 60,
        "open_time": T0,
        "open": "100",
        "high": "110",
        "low": "95",
        "close": "105",
        "volume": "12.5",
    }
    values.update(overrides)
    return Candle(**values)


# --- candles --------------------------------------------------------------------------------------------


def test_a_candle_keeps_its_exact_prices() -> None:
    bar = candle(close="105.10")

    assert (bar.open, bar.high, bar.low) == (Decimal(100), Decimal(110), Decimal(95))
    assert str(bar.close) == "105.10"


def test_a_candle_is_keyed_by_symbol_interval_and_open_time() -> None:
    assert candle().key == ("BTC/USD", 60, T0)


def test_a_flat_candle_where_all_prices_are_equal_is_valid() -> None:
    bar = candle(open="100", high="100", low="100", close="100", volume="0")

    assert bar.high == bar.low


@pytest.mark.parametrize("field", ["open", "close"])
def test_the_high_must_be_at_least_the_open_and_close(field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        candle(**{field: "111"})

    assert caught.value.field == "high"
    assert caught.value.value == Decimal(110)


def test_the_high_must_be_at_least_the_low() -> None:
    with pytest.raises(InvalidValueError) as caught:
        candle(open="90", close="90", high="91", low="92")

    assert caught.value.field in {"high", "low"}


@pytest.mark.parametrize("field", ["open", "close"])
def test_the_low_must_be_at_most_the_open_and_close(field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        candle(**{field: "94"})

    assert caught.value.field == "low"
    assert "at most open and close" in caught.value.expected


@pytest.mark.parametrize("field", ["open", "high", "low", "close"])
def test_candle_prices_must_be_positive(field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        candle(**{field: "0"})

    assert caught.value.field == field


def test_the_volume_may_be_zero_but_not_negative() -> None:
    assert candle(volume="0").volume == 0
    with pytest.raises(InvalidValueError, match="volume"):
        candle(volume="-1")


def test_a_float_price_is_refused() -> None:
    with pytest.raises(FloatAmountError):
        candle(close=105.0)


@pytest.mark.parametrize("interval", [0, -60, 60.0, "60", True, None])
def test_the_interval_must_be_a_positive_whole_number_of_seconds(interval: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        candle(interval_seconds=interval)

    assert caught.value.field == "interval_seconds"
    assert caught.value.value == interval


@pytest.mark.parametrize("interval", [1, 60, 3600, 86400, 604800])
def test_common_intervals_are_accepted(interval: int) -> None:
    assert candle(interval_seconds=interval).interval_seconds == interval


def test_the_trade_count_defaults_to_zero() -> None:
    assert candle().trade_count == 0


@pytest.mark.parametrize("count", [-1, 1.5, True, "3"])
def test_the_trade_count_must_be_a_whole_number_of_zero_or_more(count: object) -> None:
    with pytest.raises(InvalidValueError, match="trade_count"):
        candle(trade_count=count)


def test_a_naive_open_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        candle(open_time=datetime(2024, 1, 1))


def test_a_malformed_symbol_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="BASE/QUOTE"):
        candle(symbol="BTCUSD")


# --- tickers, trades, book ------------------------------------------------------------------------------


def test_a_ticker_accepts_an_empty_side_of_the_book_as_zero() -> None:
    ticker = Ticker(
        symbol="BTC/USD",
        bid="0",
        bid_quantity="0",
        ask="101",
        ask_quantity="2",
        last="100",
        volume="5",
        timestamp=T0,
    )

    assert ticker.bid == 0
    assert ticker.ask == Decimal(101)


def test_a_ticker_refuses_negative_prices() -> None:
    with pytest.raises(InvalidValueError, match="ask"):
        Ticker(
            symbol="BTC/USD",
            bid="100",
            bid_quantity="1",
            ask="-1",
            ask_quantity="1",
            last="100",
            volume="5",
            timestamp=T0,
        )


def test_a_trade_needs_a_positive_price_and_quantity() -> None:
    trade = Trade(symbol="BTC/USD", trade_id="T1", side="sell", price="100", quantity="0.5", timestamp=T0)
    assert trade.side is OrderSide.SELL

    with pytest.raises(InvalidValueError, match="quantity"):
        Trade(symbol="BTC/USD", trade_id="T1", side="sell", price="100", quantity="0", timestamp=T0)


def test_a_book_level_of_zero_quantity_is_a_removal_and_is_allowed() -> None:
    assert BookLevel(price="100", quantity="0").quantity == 0


def test_a_book_level_needs_a_positive_price() -> None:
    with pytest.raises(InvalidValueError, match="price"):
        BookLevel(price="0", quantity="1")


def test_a_book_update_holds_its_levels_as_tuples() -> None:
    update = BookUpdate(
        symbol="BTC/USD",
        bids=[BookLevel(price="99", quantity="1")],
        asks=[BookLevel(price="101", quantity="2")],
        is_snapshot=True,
        timestamp=T0,
    )

    assert update.bids == (BookLevel(price="99", quantity="1"),)
    assert isinstance(update.asks, tuple)


def test_the_market_channels_are_ticker_trade_book_and_ohlc() -> None:
    assert {c.value for c in MarketChannel} == {"ticker", "trade", "book", "ohlc"}


def test_a_trusted_candle_equals_the_validated_one_built_from_the_same_values() -> None:
    values = dict(
        symbol="BTC/USD",
        interval_seconds=60,
        open_time=datetime(2026, 1, 5, tzinfo=UTC),
        open=Decimal("100.5"),
        high=Decimal("101"),
        low=Decimal("99.25"),
        close=Decimal("100"),
        volume=Decimal("0.10"),
        trade_count=7,
    )
    trusted = Candle.trusted(**values)  # type: ignore[arg-type]
    assert trusted == Candle(**values)  # type: ignore[arg-type]
    assert hash(trusted) == hash(Candle(**values))  # type: ignore[arg-type]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        trusted.volume = Decimal(1)  # type: ignore[misc]

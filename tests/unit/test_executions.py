"""Specification of executions (fills) as values."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _execution(**overrides: object) -> Execution:
    values: dict[str, object] = {
        "exec_id": "E1",
        "order_id": "X1",
        "symbol": "BTC/USD",
        "side": "buy",
        "quantity": "0.5",
        "price": "30000.10",
        "timestamp": T0,
    }
    values.update(overrides)
    return Execution(**values)  # type: ignore[arg-type]


def test_the_cost_of_a_fill_is_quantity_times_price_exactly() -> None:
    assert _execution(quantity="0.5", price="30000.10").cost == Decimal("15000.050")


def test_a_buy_adds_and_a_sell_removes() -> None:
    assert OrderSide.BUY.sign == 1
    assert OrderSide.SELL.sign == -1


def test_side_and_liquidity_are_parsed_from_their_wire_strings() -> None:
    execution = _execution(side="sell", liquidity="maker")

    assert execution.side is OrderSide.SELL
    assert execution.liquidity is Liquidity.MAKER


def test_liquidity_is_unknown_and_the_fee_zero_in_usd_unless_reported() -> None:
    execution = _execution()

    assert execution.liquidity is Liquidity.UNKNOWN
    assert execution.fee == 0
    assert execution.fee_currency == "USD"


def test_an_unknown_side_is_refused() -> None:
    with pytest.raises(ValueError, match="short"):
        _execution(side="short")


@pytest.mark.parametrize("field", ["quantity", "price"])
def test_quantity_and_price_must_be_positive(field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        _execution(**{field: "0"})

    assert caught.value.field == field


@pytest.mark.parametrize("field", ["quantity", "price", "fee"])
def test_a_float_in_any_amount_is_refused_naming_the_field(field: str) -> None:
    with pytest.raises(FloatAmountError) as caught:
        _execution(**{field: 0.5})

    assert caught.value.field == field


def test_a_negative_fee_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="fee"):
        _execution(fee="-0.01")


def test_a_malformed_fee_currency_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        _execution(fee_currency="usd")


def test_a_malformed_symbol_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="BASE/QUOTE"):
        _execution(symbol="BTCUSD")


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        _execution(timestamp=datetime(2024, 1, 1))


def test_the_timestamp_is_normalised_to_utc() -> None:
    execution = _execution(timestamp=datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))))

    assert execution.timestamp == T0
    assert execution.timestamp.tzinfo is UTC


def test_executions_are_equal_values() -> None:
    assert _execution() == _execution()
    assert hash(_execution()) == hash(_execution())

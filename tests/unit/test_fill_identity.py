"""Two reports of one exec id: the same fill said twice (ignored, completed) or a real conflict (refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.fill_identity import DEFAULT_TIME_TOLERANCE, same_fill
from galfriday.errors import ConflictingExecutionError, InvalidValueError

AT = datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=UTC)

STREAM = Execution(
    exec_id="TGBB7L-HT5LX-J3BZ4A",
    order_id="OK4GJX-KSTLS-7DZZO5",
    client_order_id="c-1",
    symbol="BTC/USD",
    side=OrderSide.SELL,
    quantity=Decimal("0.005"),
    price=Decimal("26599.9"),
    timestamp=AT,
    fee=Decimal("0.3458"),
    fee_currency="USD",
    liquidity=Liquidity.TAKER,
    trade_id="62887576",
)
"""The WebSocket's form: client order id, exact time, liquidity and trade id."""

REST = attrs.evolve(
    STREAM,
    client_order_id=None,
    timestamp=datetime(2026, 11, 24, 12, 0, 0, 123500, tzinfo=UTC),
    liquidity=Liquidity.UNKNOWN,
    trade_id=None,
)
"""TradesHistory's form of the same fill: no client order id, a time rounded to 1e-4 s."""


def test_an_identical_report_is_the_same_fill_and_changes_nothing() -> None:
    assert same_fill(STREAM, STREAM) is STREAM


def test_the_rest_form_of_a_streamed_fill_is_the_same_fill_and_adds_nothing() -> None:
    assert same_fill(STREAM, REST) is STREAM


def test_the_streamed_form_of_a_rest_fill_fills_in_what_rest_lacked() -> None:
    completed = same_fill(REST, STREAM)
    assert (completed.client_order_id, completed.liquidity, completed.trade_id) == (
        "c-1",
        Liquidity.TAKER,
        "62887576",
    )
    assert completed.timestamp == REST.timestamp  # the stored time is kept


def test_the_same_amount_in_another_decimal_form_is_the_same_fill() -> None:
    assert same_fill(STREAM, attrs.evolve(STREAM, price=Decimal("26599.90"))) is STREAM


def test_times_at_the_tolerance_are_the_same_fill() -> None:
    later = attrs.evolve(REST, timestamp=AT + DEFAULT_TIME_TOLERANCE)
    assert same_fill(STREAM, later) is STREAM


def test_times_beyond_the_tolerance_conflict() -> None:
    later = attrs.evolve(REST, timestamp=AT + timedelta(seconds=2))
    with pytest.raises(ConflictingExecutionError) as caught:
        same_fill(STREAM, later)
    assert caught.value.field == "timestamp"


def test_the_tolerance_is_the_callers_to_choose() -> None:
    with pytest.raises(ConflictingExecutionError):
        same_fill(STREAM, REST, time_tolerance=timedelta(0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("order_id", "OTHER-ORDER"),
        ("symbol", "ETH/USD"),
        ("side", OrderSide.BUY),
        ("quantity", Decimal("0.004")),
        ("price", Decimal("26600")),
        ("fee", Decimal("0.3459")),
        ("fee_currency", "EUR"),
    ],
)
def test_any_economic_difference_is_a_conflict_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConflictingExecutionError) as caught:
        same_fill(STREAM, attrs.evolve(REST, **{field: value}))
    assert (caught.value.field, caught.value.stored, caught.value.reported) == (
        field,
        getattr(STREAM, field),
        value,
    )
    assert STREAM.exec_id in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("client_order_id", "c-2"), ("trade_id", "1"), ("liquidity", Liquidity.MAKER)],
)
def test_optional_fields_present_on_both_sides_must_agree(field: str, value: Any) -> None:
    with pytest.raises(ConflictingExecutionError) as caught:
        same_fill(STREAM, attrs.evolve(STREAM, **{field: value}))
    assert caught.value.field == field


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="time_tolerance"):
        same_fill(STREAM, REST, time_tolerance=timedelta(seconds=-1))


def test_two_different_exec_ids_are_not_compared() -> None:
    with pytest.raises(InvalidValueError, match="exec_id"):
        same_fill(STREAM, attrs.evolve(STREAM, exec_id="OTHER"))

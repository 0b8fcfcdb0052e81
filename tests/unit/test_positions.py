"""Specification of spot positions: average cost, realized P&L on reduce, flips through zero, unrealized."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.positions import Position
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
D = Decimal


def fill(
    side: str, quantity: str | Decimal, price: str | Decimal, *, seconds: int = 1, n: int = 1
) -> Execution:
    return Execution(
        exec_id=f"E{n}",
        order_id="X1",
        symbol="BTC/USD",
        side=OrderSide(side),
        quantity=D(quantity),
        price=D(price),
        timestamp=T0 + timedelta(seconds=seconds),
        fee=D("1.5"),
    )


def position_after(*fills: Execution) -> Position:
    position = Position.flat("BTC/USD", T0)
    for execution in fills:
        position = position.apply_fill(execution)
    return position


# --- examples -------------------------------------------------------------------------------------------


def test_a_flat_position_has_nothing() -> None:
    flat = Position.flat("BTC/USD", T0)

    assert flat.quantity == flat.average_cost == flat.realized_pnl == 0
    assert flat.unrealized_pnl(D(50000)) == 0
    assert flat.updated_at == T0


def test_a_buy_opens_a_long_at_the_fill_price() -> None:
    position = position_after(fill("buy", "2", "100"))

    assert position.quantity == D(2)
    assert position.average_cost == D(100)
    assert position.realized_pnl == 0


def test_adding_to_a_long_moves_the_average_cost_to_the_weighted_mean() -> None:
    position = position_after(fill("buy", "1", "100"), fill("buy", "3", "120"))

    assert position.quantity == D(4)
    assert position.average_cost == D(115)


def test_reducing_a_long_realizes_pnl_against_the_average_cost_and_keeps_the_average() -> None:
    position = position_after(fill("buy", "2", "100"), fill("sell", "0.5", "130"))

    assert position.quantity == D("1.5")
    assert position.average_cost == D(100)
    assert position.realized_pnl == D(15)


def test_reducing_at_a_loss_realizes_a_negative_pnl() -> None:
    assert position_after(fill("buy", "1", "100"), fill("sell", "1", "90")).realized_pnl == D(-10)


def test_closing_exactly_leaves_a_flat_position_with_no_average_cost() -> None:
    position = position_after(fill("buy", "2", "100"), fill("sell", "2", "110"))

    assert position.quantity == 0
    assert position.average_cost == 0
    assert position.realized_pnl == D(20)


def test_a_sell_from_flat_opens_a_short_at_the_fill_price() -> None:
    position = position_after(fill("sell", "1", "100"))

    assert position.quantity == D(-1)
    assert position.average_cost == D(100)


def test_adding_to_a_short_moves_the_average_cost() -> None:
    assert position_after(fill("sell", "1", "100"), fill("sell", "1", "110")).average_cost == D(105)


def test_buying_back_a_short_lower_realizes_a_profit() -> None:
    position = position_after(fill("sell", "2", "100"), fill("buy", "1", "80"))

    assert position.quantity == D(-1)
    assert position.average_cost == D(100)
    assert position.realized_pnl == D(20)


def test_flipping_through_zero_realizes_the_closed_part_and_reopens_the_rest_at_the_fill_price() -> None:
    position = position_after(fill("buy", "1", "100"), fill("sell", "3", "110"))

    assert position.quantity == D(-2)
    assert position.average_cost == D(110)
    assert position.realized_pnl == D(10)


def test_flipping_a_short_into_a_long() -> None:
    position = position_after(fill("sell", "1", "100"), fill("buy", "1.5", "90"))

    assert position.quantity == D("0.5")
    assert position.average_cost == D(90)
    assert position.realized_pnl == D(10)


def test_unrealized_pnl_of_a_long_is_quantity_times_the_move_from_cost() -> None:
    assert position_after(fill("buy", "2", "100")).unrealized_pnl(D(125)) == D(50)


def test_unrealized_pnl_of_a_short_gains_when_the_price_falls() -> None:
    short = position_after(fill("sell", "2", "100"))

    assert short.unrealized_pnl(D(90)) == D(20)
    assert short.unrealized_pnl(D(110)) == D(-20)


def test_pnl_is_before_fees() -> None:
    assert position_after(fill("buy", "1", "100"), fill("sell", "1", "100")).realized_pnl == 0


def test_realized_pnl_depends_on_the_order_fills_arrive_in_under_average_cost() -> None:
    buy_100 = fill("buy", "1", "100", n=1)
    sell_110 = fill("sell", "1", "110", n=2)
    buy_120 = fill("buy", "1", "120", n=3)
    early_sale = position_after(buy_100, sell_110, buy_120)
    late_sale = position_after(buy_100, buy_120, sell_110)

    assert early_sale.quantity == late_sale.quantity == D(1)
    assert early_sale.realized_pnl == D(10)
    assert late_sale.realized_pnl == D(0)


def test_a_position_does_not_deduplicate_so_its_caller_must() -> None:
    execution = fill("buy", "1", "100")

    assert position_after(execution, execution).quantity == D(2)


def test_a_fill_of_another_pair_is_refused() -> None:
    other = Execution(
        exec_id="E9",
        order_id="X9",
        symbol="ETH/USD",
        side=OrderSide.BUY,
        quantity=D(1),
        price=D(2000),
        timestamp=T0,
    )

    with pytest.raises(InvalidValueError) as caught:
        Position.flat("BTC/USD", T0).apply_fill(other)

    assert caught.value.field == "symbol"
    assert caught.value.value == "ETH/USD"
    assert "BTC/USD" in caught.value.expected
    assert "E9" in caught.value.expected


def test_a_fill_moves_updated_at_forward_but_never_back() -> None:
    position = position_after(fill("buy", "1", "100", seconds=10))
    assert position.updated_at == T0 + timedelta(seconds=10)

    assert position.apply_fill(fill("buy", "1", "100", seconds=5, n=2)).updated_at == position.updated_at


def test_a_position_is_an_immutable_value() -> None:
    flat = Position.flat("BTC/USD", T0)

    flat.apply_fill(fill("buy", "1", "100"))

    assert flat.quantity == 0


def test_a_float_amount_is_refused() -> None:
    with pytest.raises(FloatAmountError):
        Position(symbol="BTC/USD", quantity=1.0, average_cost=D(1), realized_pnl=D(0), updated_at=T0)


def test_a_negative_average_cost_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="average_cost"):
        Position(symbol="BTC/USD", quantity=D(1), average_cost=D(-1), realized_pnl=D(0), updated_at=T0)


def test_a_naive_update_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        Position.flat("BTC/USD", datetime(2024, 1, 1))


# --- properties -----------------------------------------------------------------------------------------

# The average cost is a quotient rounded to the Decimal context (28 significant digits), so P&L identities
# hold up to that rounding: far below any tick an exchange quotes.
ROUNDING = D("1e-15")
PROPERTY = settings(max_examples=200, deadline=None)

quantities = st.integers(min_value=1, max_value=10**9).map(lambda n: n * D("0.00000001"))
prices = st.decimals(
    min_value=D("0.00000001"), max_value=D("100000"), places=8, allow_nan=False, allow_infinity=False
)


@st.composite
def fill_sequences(draw: st.DrawFn) -> list[Execution]:
    sides = st.sampled_from(["buy", "sell"])
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        fill(draw(sides), draw(quantities), draw(prices), seconds=draw(st.integers(0, 3600)), n=n)
        for n in range(count)
    ]


def cash_flow(fills: list[Execution]) -> Decimal:
    """What the fills paid (negative) and received (positive) in the quote currency, before fees."""
    return sum((-e.side.sign * e.quantity * e.price for e in fills), D(0))


@PROPERTY
@given(fill_sequences(), prices)
def test_realized_plus_unrealized_pnl_equals_the_cash_flows_plus_the_marked_value(
    fills: list[Execution], mark: Decimal
) -> None:
    position = position_after(*fills)

    total = position.realized_pnl + position.unrealized_pnl(mark)

    assert abs(total - (cash_flow(fills) + position.quantity * mark)) <= ROUNDING


@PROPERTY
@given(fill_sequences())
def test_the_quantity_is_the_signed_sum_of_the_fills(fills: list[Execution]) -> None:
    assert position_after(*fills).quantity == sum((e.side.sign * e.quantity for e in fills), D(0))


@PROPERTY
@given(st.data(), fill_sequences(), prices)
def test_quantity_and_total_pnl_do_not_depend_on_the_order_of_the_fills(
    data: st.DataObject, fills: list[Execution], mark: Decimal
) -> None:
    in_order = position_after(*fills)
    shuffled = position_after(*data.draw(st.permutations(fills)))

    assert shuffled.quantity == in_order.quantity
    assert shuffled.updated_at == in_order.updated_at
    total = in_order.realized_pnl + in_order.unrealized_pnl(mark)
    assert abs(shuffled.realized_pnl + shuffled.unrealized_pnl(mark) - total) <= 2 * ROUNDING


@PROPERTY
@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=12), st.sampled_from(["buy", "sell"]))
def test_fills_on_one_side_give_their_volume_weighted_average_cost_and_no_realized_pnl(
    legs: list[tuple[Decimal, Decimal]], side: str
) -> None:
    position = position_after(*(fill(side, q, p, n=n) for n, (q, p) in enumerate(legs)))

    volume = sum((q for q, _ in legs), D(0))
    vwap = sum((q * p for q, p in legs), D(0)) / volume
    assert abs(position.average_cost - vwap) <= ROUNDING
    assert position.realized_pnl == 0


@PROPERTY
@given(fill_sequences())
def test_a_flat_position_never_carries_an_average_cost(fills: list[Execution]) -> None:
    position = Position.flat("BTC/USD", T0)
    for execution in fills:
        position = position.apply_fill(execution)
        assert position.average_cost >= 0
        if position.quantity == 0:
            assert position.average_cost == 0

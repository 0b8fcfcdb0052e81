"""Specification of the portfolio: holdings, reservations by open orders, positions from fills, fees, P&L."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain.executions import Execution
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.portfolio import Holding, Portfolio, replay_positions, reservation
from galfriday.domain.positions import Position
from galfriday.errors import InvalidValueError

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
D = Decimal


def order(
    client_id: str = "c-1",
    side: str = "buy",
    quantity: str = "2",
    price: str | None = "100",
    symbol: str = "BTC/USD",
) -> Order:
    placed = Order.create(
        client_order_id=client_id,
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=D(quantity),
        limit_price=D(price) if price else None,
        at=T0,
    )
    return placed.apply_status(OrderStatus.NEW, T0, exchange_order_id=f"O-{client_id}").order


def fill(
    exec_id: str,
    side: str,
    quantity: str,
    price: str,
    *,
    seconds: int = 1,
    fee: str = "0",
    fee_currency: str = "USD",
    client_id: str | None = None,
    symbol: str = "BTC/USD",
) -> Execution:
    return Execution(
        exec_id=exec_id,
        order_id=f"O-{client_id}" if client_id else "O-x",
        client_order_id=client_id,
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        timestamp=T0 + timedelta(seconds=seconds),
        fee=D(fee),
        fee_currency=fee_currency,
    )


def test_a_limit_buy_reserves_its_quote_cost_at_the_limit_price() -> None:
    assert reservation(order(side="buy", quantity="2", price="100")) == ("USD", D(200))


def test_a_limit_buy_reservation_includes_the_fee_rate_when_given() -> None:
    assert reservation(order(quantity="2", price="100"), D("0.01")) == ("USD", D("202.00"))


def test_a_sell_reserves_its_remaining_base_quantity() -> None:
    assert reservation(order(side="sell", quantity="3")) == ("BTC", D(3))


def test_a_market_buy_reserves_nothing_because_its_cost_is_unknown() -> None:
    assert reservation(order(price=None)) is None


def test_a_closed_order_reserves_nothing() -> None:
    canceled = order().apply_status(OrderStatus.CANCELED, T0).order
    assert reservation(canceled) is None


def test_available_is_total_less_what_open_orders_reserve() -> None:
    portfolio = Portfolio(totals={"USD": D(1000), "BTC": D(5)})
    portfolio = portfolio.track_order(order("b", "buy", "2", "100")).track_order(order("s", "sell", "1.5"))
    assert portfolio.holding("USD") == Holding("USD", D(1000), D(200))
    assert portfolio.holding("USD").available == D(800)
    assert portfolio.holding("BTC").available == D("3.5")


def test_a_partial_fill_reduces_the_reservation_to_the_remaining_quantity() -> None:
    portfolio = Portfolio(totals={"USD": D(1000)}).track_order(order("b", "buy", "2", "100"))
    portfolio = portfolio.apply_fill(fill("T1", "buy", "0.5", "100", client_id="b"))
    assert portfolio.reserved() == {"USD": D("150.0")}


def test_an_amended_order_reserves_its_new_quantity() -> None:
    placed = order("b", "buy", "2", "100")
    portfolio = Portfolio(totals={"USD": D(1000)}).track_order(placed)
    amended = attrs.evolve(placed, quantity=D(5))
    assert portfolio.track_order(amended).reserved() == {"USD": D(500)}


def test_a_canceled_order_releases_its_reservation() -> None:
    placed = order("b", "buy", "2", "100")
    portfolio = Portfolio(totals={"USD": D(1000)}).track_order(placed)
    portfolio = portfolio.track_order(placed.apply_status(OrderStatus.CANCELED, T0).order)
    assert portfolio.reserved() == {}
    assert portfolio.holding("USD").available == D(1000)


def test_a_fill_moves_base_and_quote_and_charges_the_fee_in_its_own_currency() -> None:
    portfolio = Portfolio(totals={"USD": D(1000), "BNB": D(1)})
    portfolio = portfolio.apply_fill(fill("T1", "buy", "2", "100", fee="0.01", fee_currency="BNB"))
    assert portfolio.totals == {"USD": D(800), "BTC": D(2), "BNB": D("0.99")}
    assert portfolio.fees_paid == {"BNB": D("0.01")}


def test_fees_in_different_currencies_are_kept_apart() -> None:
    portfolio = Portfolio(totals={"USD": D(1000)})
    portfolio = portfolio.apply_fill(fill("T1", "buy", "1", "100", fee="0.2", fee_currency="USD"))
    portfolio = portfolio.apply_fill(fill("T2", "sell", "0.5", "120", fee="0.001", fee_currency="BTC"))
    assert portfolio.fees_paid == {"USD": D("0.2"), "BTC": D("0.001")}


def test_a_fill_applied_twice_counts_once() -> None:
    portfolio = Portfolio(totals={"USD": D(1000)})
    once = portfolio.apply_fill(fill("T1", "buy", "1", "100"))
    assert once.apply_fill(fill("T1", "buy", "1", "100")) == once


def test_positions_carry_average_cost_and_realized_pnl() -> None:
    portfolio = Portfolio(totals={"USD": D(10000)})
    for execution in (
        fill("T1", "buy", "1", "100", seconds=1),
        fill("T2", "buy", "1", "200", seconds=2),
        fill("T3", "sell", "1", "250", seconds=3),
    ):
        portfolio = portfolio.apply_fill(execution)
    position = portfolio.positions["BTC/USD"]
    assert (position.quantity, position.average_cost) == (D(1), D(150))
    assert portfolio.realized_pnl() == {"BTC/USD": D(100)}


def test_unrealized_pnl_is_marked_at_the_given_price() -> None:
    portfolio = Portfolio().apply_fill(fill("T1", "buy", "2", "100"))
    assert portfolio.unrealized_pnl({"BTC/USD": D(110)}) == {"BTC/USD": D(20)}


def test_unrealized_pnl_without_a_mark_for_an_open_position_is_refused() -> None:
    portfolio = Portfolio().apply_fill(fill("T1", "buy", "2", "100"))
    with pytest.raises(InvalidValueError, match="BTC/USD"):
        portfolio.unrealized_pnl({})


def test_a_filled_order_leaves_the_open_orders() -> None:
    portfolio = Portfolio(totals={"USD": D(1000)}).track_order(order("b", "buy", "1", "100"))
    portfolio = portfolio.apply_fill(fill("T1", "buy", "1", "100", client_id="b"))
    assert portfolio.open_orders == {}


def test_replay_gives_positions_in_time_order_whatever_the_input_order() -> None:
    fills = [fill("T2", "sell", "1", "150", seconds=2), fill("T1", "buy", "2", "100", seconds=1)]
    [position] = replay_positions(fills).values()
    assert (position.quantity, position.average_cost, position.realized_pnl) == (D(1), D(100), D(50))


def test_replay_counts_a_repeated_exec_id_once() -> None:
    fills = [fill("T1", "buy", "2", "100"), fill("T1", "buy", "2", "100")]
    assert replay_positions(fills)["BTC/USD"].quantity == D(2)


_fills = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell"]),
        st.decimals(min_value=D("0.001"), max_value=D(50), places=3),
        st.decimals(min_value=D(1), max_value=D(1000), places=2),
    ),
    min_size=1,
    max_size=30,
)


@given(_fills)
def test_replay_equals_folding_position_apply_fill(raw: list[tuple[str, Decimal, Decimal]]) -> None:
    fills = [fill(f"T{i:03d}", side, str(q), str(p), seconds=i) for i, (side, q, p) in enumerate(raw)]
    folded = Position.flat("BTC/USD", T0)
    for execution in fills:
        folded = folded.apply_fill(execution)
    assert replay_positions(fills)["BTC/USD"] == folded

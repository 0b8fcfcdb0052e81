"""Specification of the order aggregate: creation, fills, status reports, and the events they produce."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from galfriday.domain.events import ExecutionApplied, OrderStatusChanged
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import (
    ExecutionMismatchError,
    FloatAmountError,
    InvalidOrderTransition,
    InvalidValueError,
    NaiveDatetimeError,
    OverfillError,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
S = OrderStatus


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def limit_buy(quantity: str = "1", price: str = "100") -> Order:
    return Order.create(
        client_order_id="C1",
        symbol="BTC/USD",
        side="buy",
        order_type="limit",
        quantity=quantity,
        limit_price=price,
        at=T0,
    )


def fill(
    exec_id: str,
    quantity: str,
    price: str = "100",
    *,
    seconds: int = 1,
    order_id: str = "X1",
    **overrides: object,
) -> Execution:
    values: dict[str, object] = {
        "exec_id": exec_id,
        "order_id": order_id,
        "symbol": "BTC/USD",
        "side": "buy",
        "quantity": quantity,
        "price": price,
        "timestamp": at(seconds),
    }
    values.update(overrides)
    return Execution(**values)  # type: ignore[arg-type]


def acked(order: Order | None = None) -> Order:
    return (order or limit_buy()).apply_status("new", at(0), exchange_order_id="X1").order


# --- creation -------------------------------------------------------------------------------------------


def test_a_new_order_is_pending_new_with_nothing_filled() -> None:
    order = limit_buy()

    assert order.status is S.PENDING_NEW
    assert order.filled_quantity == 0
    assert order.filled_cost == 0
    assert order.fees == {}
    assert order.exec_ids == frozenset()
    assert order.average_price is None
    assert order.remaining_quantity == Decimal(1)
    assert order.closed_filled_quantity is None


def test_a_new_order_is_known_by_its_client_id_until_the_exchange_names_it() -> None:
    order = limit_buy()

    assert order.exchange_order_id is None
    assert order.order_id == "C1"
    assert acked(order).order_id == "X1"


def test_a_new_order_was_created_and_updated_at_the_given_instant() -> None:
    order = limit_buy()

    assert order.created_at == order.updated_at == T0


def test_creation_parses_side_type_and_time_in_force_from_strings() -> None:
    order = Order.create(
        client_order_id="C1",
        symbol="ETH/EUR",
        side="sell",
        order_type="limit",
        quantity=2,
        limit_price="1500.5",
        time_in_force="ioc",
        at=T0,
    )

    assert order.side is OrderSide.SELL
    assert order.order_type is OrderType.LIMIT
    assert order.time_in_force is TimeInForce.IOC
    assert order.quantity == Decimal(2)
    assert order.limit_price == Decimal("1500.5")


def test_time_in_force_is_good_till_canceled_by_default() -> None:
    assert limit_buy().time_in_force is TimeInForce.GTC


def test_a_limit_order_needs_a_price() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Order.create(
            client_order_id="C1", symbol="BTC/USD", side="buy", order_type="limit", quantity=1, at=T0
        )

    assert caught.value.field == "limit_price"
    assert "limit order" in caught.value.expected


def test_a_market_order_needs_no_price() -> None:
    order = Order.create(
        client_order_id="C1", symbol="BTC/USD", side="buy", order_type="market", quantity=1, at=T0
    )

    assert order.limit_price is None


@pytest.mark.parametrize("price", ["0", "-1"])
def test_a_limit_price_must_be_positive(price: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        limit_buy(price=price)

    assert caught.value.field == "limit_price"


@pytest.mark.parametrize("quantity", ["0", "-0.1"])
def test_the_quantity_must_be_positive(quantity: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        limit_buy(quantity=quantity)

    assert caught.value.field == "quantity"


def test_a_float_quantity_is_refused() -> None:
    with pytest.raises(FloatAmountError):
        Order.create(
            client_order_id="C1",
            symbol="BTC/USD",
            side="buy",
            order_type="market",
            quantity=0.1,  # type: ignore[arg-type]
            at=T0,
        )


def test_a_float_limit_price_is_refused() -> None:
    with pytest.raises(FloatAmountError):
        Order.create(
            client_order_id="C1",
            symbol="BTC/USD",
            side="buy",
            order_type="limit",
            quantity=1,
            limit_price=100.5,  # type: ignore[arg-type]
            at=T0,
        )


def test_an_empty_client_order_id_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="client_order_id"):
        Order.create(client_order_id="", symbol="BTC/USD", side="buy", order_type="market", quantity=1, at=T0)


def test_a_bad_symbol_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="BASE/QUOTE"):
        Order.create(
            client_order_id="C1", symbol="btc-usd", side="buy", order_type="market", quantity=1, at=T0
        )


@pytest.mark.parametrize(("side", "order_type"), [("hold", "market"), ("buy", "stop")])
def test_an_unknown_side_or_order_type_is_refused(side: str, order_type: str) -> None:
    with pytest.raises(ValueError, match=side if side == "hold" else order_type):
        Order.create(
            client_order_id="C1", symbol="BTC/USD", side=side, order_type=order_type, quantity=1, at=T0
        )


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        Order.create(
            client_order_id="C1",
            symbol="BTC/USD",
            side="buy",
            order_type="market",
            quantity=1,
            at=datetime(2024, 1, 1),
        )


def test_an_order_cannot_be_built_filled_beyond_its_quantity() -> None:
    with pytest.raises(InvalidValueError, match="filled_quantity"):
        Order(
            client_order_id="C1",
            symbol="BTC/USD",
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity="1",
            created_at=T0,
            updated_at=T0,
            filled_quantity=Decimal("1.1"),
        )


def test_exec_ids_given_as_a_single_string_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="exec_ids"):
        Order(
            client_order_id="C1",
            symbol="BTC/USD",
            side=OrderSide.BUY,
            order_type=OrderType.MARKET,
            quantity="1",
            created_at=T0,
            updated_at=T0,
            exec_ids="E1",
        )


# --- applying executions --------------------------------------------------------------------------------


def test_a_partial_fill_makes_the_order_partially_filled() -> None:
    order = acked().apply_execution(fill("E1", "0.4", "100")).order

    assert order.status is S.PARTIALLY_FILLED
    assert order.filled_quantity == Decimal("0.4")
    assert order.remaining_quantity == Decimal("0.6")
    assert order.filled_cost == Decimal("40.0")
    assert order.exec_ids == {"E1"}


def test_a_partial_then_full_fill_makes_the_order_filled() -> None:
    order = acked().apply_execution(fill("E1", "0.4")).order.apply_execution(fill("E2", "0.6")).order

    assert order.status is S.FILLED
    assert order.filled_quantity == Decimal(1)
    assert order.remaining_quantity == 0
    assert order.exec_ids == {"E1", "E2"}


def test_the_average_price_is_the_quantity_weighted_mean_of_the_fills() -> None:
    order = acked().apply_execution(fill("E1", "0.25", "100")).order
    order = order.apply_execution(fill("E2", "0.75", "104")).order

    assert order.filled_cost == Decimal("103.00")
    assert order.average_price == Decimal("103")


def test_fees_are_summed_per_currency() -> None:
    order = acked()
    for execution in [
        fill("E1", "0.2", fee="0.10", fee_currency="USD"),
        fill("E2", "0.2", fee="0.00001", fee_currency="BTC"),
        fill("E3", "0.2", fee="0.15", fee_currency="USD"),
    ]:
        order = order.apply_execution(execution).order

    assert order.fees == {"USD": Decimal("0.25"), "BTC": Decimal("0.00001")}


def test_a_fill_without_a_fee_adds_no_fee_entry() -> None:
    assert acked().apply_execution(fill("E1", "0.2", fee="0")).order.fees == {}


def test_the_first_fill_names_the_exchange_order_when_no_ack_came_first() -> None:
    order = limit_buy().apply_execution(fill("E1", "0.2", order_id="X9")).order

    assert order.exchange_order_id == "X9"
    assert order.status is S.PARTIALLY_FILLED


def test_applying_the_same_execution_twice_changes_nothing() -> None:
    once = acked().apply_execution(fill("E1", "0.4")).order

    change = once.apply_execution(fill("E1", "0.4"))

    assert change.order is once
    assert change.events == ()


def test_the_exec_id_alone_is_the_idempotency_key() -> None:
    once = acked().apply_execution(fill("E1", "0.4", "100")).order

    change = once.apply_execution(fill("E1", "0.5", "101", seconds=9))

    assert change.order is once
    assert change.events == ()


def test_a_fill_up_to_exactly_the_quantity_is_accepted() -> None:
    assert acked().apply_execution(fill("E1", "1")).order.status is S.FILLED


def test_an_overfill_raises_with_the_values_in_the_message() -> None:
    order = acked().apply_execution(fill("E1", "0.7")).order

    with pytest.raises(OverfillError) as caught:
        order.apply_execution(fill("E2", "0.4"))

    error = caught.value
    assert (error.order_id, error.exec_id) == ("X1", "E2")
    assert (error.limit, error.filled, error.quantity) == (Decimal(1), Decimal("0.7"), Decimal("0.4"))
    assert str(error) == "order X1: execution E2 of 0.4 on top of 0.7 filled exceeds the fillable limit 1"


def test_a_refused_fill_leaves_the_order_as_it_was() -> None:
    order = acked().apply_execution(fill("E1", "0.7")).order

    with pytest.raises(OverfillError):
        order.apply_execution(fill("E2", "0.4"))

    assert order.filled_quantity == Decimal("0.7")
    assert order.exec_ids == {"E1"}


def test_an_execution_of_another_exchange_order_raises_a_mismatch() -> None:
    with pytest.raises(ExecutionMismatchError) as caught:
        acked().apply_execution(fill("E1", "0.1", order_id="X2"))

    assert caught.value.field == "order_id"
    assert "'X2' on the execution and 'X1' on the order" in str(caught.value)


def test_an_execution_naming_another_client_order_raises_a_mismatch() -> None:
    with pytest.raises(ExecutionMismatchError) as caught:
        acked().apply_execution(fill("E1", "0.1", client_order_id="C2"))

    assert caught.value.field == "client_order_id"


def test_an_execution_naming_this_client_order_is_accepted() -> None:
    order = acked().apply_execution(fill("E1", "0.1", client_order_id="C1")).order

    assert order.filled_quantity == Decimal("0.1")


def test_an_execution_of_another_symbol_raises_a_mismatch() -> None:
    with pytest.raises(ExecutionMismatchError) as caught:
        acked().apply_execution(fill("E1", "0.1", symbol="ETH/USD"))

    assert caught.value.field == "symbol"
    assert (caught.value.order_id, caught.value.exec_id) == ("X1", "E1")


def test_an_execution_of_the_other_side_raises_a_mismatch() -> None:
    with pytest.raises(ExecutionMismatchError) as caught:
        acked().apply_execution(fill("E1", "0.1", side="sell"))

    assert caught.value.field == "side"


def test_a_fill_moves_updated_at_forward_but_never_back() -> None:
    order = acked().apply_execution(fill("E1", "0.1", seconds=10)).order
    assert order.updated_at == at(10)

    order = order.apply_execution(fill("E2", "0.1", seconds=5)).order
    assert order.updated_at == at(10)


def test_a_fill_resolves_an_unknown_order_to_partially_filled() -> None:
    unknown = acked().apply_status("unknown", at(1)).order

    assert unknown.apply_execution(fill("E1", "0.5")).order.status is S.PARTIALLY_FILLED


# --- events from executions -----------------------------------------------------------------------------


def test_a_fill_reports_the_execution_applied_with_the_new_totals() -> None:
    execution = fill("E1", "0.4", seconds=3)

    events = acked().apply_execution(execution).events

    applied = events[0]
    assert isinstance(applied, ExecutionApplied)
    assert applied.execution == execution
    assert applied.client_order_id == "C1"
    assert applied.filled_quantity == Decimal("0.4")
    assert applied.status is S.PARTIALLY_FILLED
    assert applied.occurred_at == at(3)


def test_a_fill_that_changes_the_status_also_reports_the_status_change() -> None:
    events = acked().apply_execution(fill("E1", "0.4", seconds=3)).events

    assert len(events) == 2
    changed = events[1]
    assert changed == OrderStatusChanged(
        client_order_id="C1",
        exchange_order_id="X1",
        symbol="BTC/USD",
        previous=S.NEW,
        current=S.PARTIALLY_FILLED,
        filled_quantity=Decimal("0.4"),
        occurred_at=at(3),
        reason=None,
    )


def test_a_fill_that_keeps_the_status_reports_only_the_execution() -> None:
    order = acked().apply_execution(fill("E1", "0.4")).order

    events = order.apply_execution(fill("E2", "0.1")).events

    assert [type(e) for e in events] == [ExecutionApplied]


def test_the_completing_fill_reports_the_move_to_filled() -> None:
    order = acked().apply_execution(fill("E1", "0.4")).order

    events = order.apply_execution(fill("E2", "0.6", seconds=7)).events

    status = events[1]
    assert isinstance(status, OrderStatusChanged)
    assert (status.previous, status.current) == (S.PARTIALLY_FILLED, S.FILLED)
    assert status.filled_quantity == Decimal(1)


# --- applying status reports ----------------------------------------------------------------------------


def test_an_ack_makes_the_order_new_and_records_the_exchange_id() -> None:
    change = limit_buy().apply_status("new", at(2), exchange_order_id="X1")

    assert change.order.status is S.NEW
    assert change.order.exchange_order_id == "X1"
    assert change.order.updated_at == at(2)
    assert change.events == (
        OrderStatusChanged(
            client_order_id="C1",
            exchange_order_id="X1",
            symbol="BTC/USD",
            previous=S.PENDING_NEW,
            current=S.NEW,
            filled_quantity=Decimal(0),
            occurred_at=at(2),
        ),
    )


def test_a_repeated_ack_changes_nothing() -> None:
    order = acked()

    change = order.apply_status(S.NEW, at(5), exchange_order_id="X1")

    assert change.order is order
    assert change.events == ()


def test_an_ack_does_not_replace_a_known_exchange_id() -> None:
    order = acked().apply_status("new", at(1), exchange_order_id="OTHER").order

    assert order.exchange_order_id == "X1"


def test_an_ack_after_fills_keeps_the_order_partially_filled() -> None:
    order = limit_buy().apply_execution(fill("E1", "0.3")).order

    change = order.apply_status("new", at(2), exchange_order_id="X1")

    assert change.order.status is S.PARTIALLY_FILLED
    assert change.events == ()


def test_an_ack_after_the_order_filled_is_a_late_report_that_changes_nothing() -> None:
    order = limit_buy().apply_execution(fill("E1", "1")).order

    change = order.apply_status("new", at(2), exchange_order_id="X1")

    assert change.order == order
    assert change.events == ()


def test_a_late_ack_may_still_name_the_exchange_order() -> None:
    canceled = limit_buy().apply_status("canceled", at(1), filled_quantity=Decimal("0")).order

    change = canceled.apply_status("new", at(2), exchange_order_id="X1")

    assert change.order.status is S.CANCELED
    assert change.order.exchange_order_id == "X1"
    assert change.events == ()


def test_a_late_partially_filled_report_after_the_order_filled_changes_nothing() -> None:
    order = acked().apply_execution(fill("E1", "1")).order

    assert order.apply_status("partially_filled", at(2)).order == order


@pytest.mark.parametrize("reached", ["new", "partially_filled", "filled", "canceled", "rejected"])
def test_a_pending_new_report_after_the_exchange_answered_is_a_late_report(reached: str) -> None:
    """A REST backfill can store an order as `new` before the stream's `pending_new` for it arrives."""
    order = acked()
    if reached == "partially_filled":
        order = order.apply_execution(fill("E1", "0.3")).order
    elif reached == "filled":
        order = order.apply_execution(fill("E1", "1")).order
    elif reached != "new":
        order = limit_buy().apply_status(reached, at(1), filled_quantity=Decimal("0")).order

    change = order.apply_status("pending_new", at(3))

    assert change.order.status is order.status
    assert change.events == ()


def test_an_ack_after_a_reject_is_a_contradiction() -> None:
    rejected = limit_buy().apply_status("rejected", at(1), reason="insufficient funds").order

    with pytest.raises(InvalidOrderTransition):
        rejected.apply_status("new", at(2), exchange_order_id="X1")


def test_a_status_report_never_moves_updated_at_back() -> None:
    order = acked().apply_execution(fill("E1", "0.1", seconds=10)).order

    assert order.apply_status("canceled", at(5), filled_quantity=Decimal("0.1")).order.updated_at == at(10)


def test_a_naive_report_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        acked().apply_status("canceled", datetime(2024, 1, 1))


def test_a_cancel_reports_the_status_change_with_its_reason() -> None:
    order = acked().apply_execution(fill("E1", "0.3")).order

    change = order.apply_status("canceled", at(4), filled_quantity=Decimal("0.3"), reason="user request")

    assert change.order.reason == "user request"
    assert change.events == (
        OrderStatusChanged(
            client_order_id="C1",
            exchange_order_id="X1",
            symbol="BTC/USD",
            previous=S.PARTIALLY_FILLED,
            current=S.CANCELED,
            filled_quantity=Decimal("0.3"),
            occurred_at=at(4),
            reason="user request",
        ),
    )


def test_a_cancel_records_the_filled_quantity_the_exchange_reported() -> None:
    order = acked().apply_status("canceled", at(1), filled_quantity=Decimal("0.4")).order

    assert order.closed_filled_quantity == Decimal("0.4")
    assert order.fillable_limit == Decimal("0.4")


def test_late_fills_up_to_the_canceled_quantity_are_accepted() -> None:
    order = acked().apply_status("canceled", at(1), filled_quantity=Decimal("0.4")).order

    order = order.apply_execution(fill("E1", "0.1")).order
    order = order.apply_execution(fill("E2", "0.3")).order

    assert order.status is S.CANCELED
    assert order.filled_quantity == Decimal("0.4")


def test_a_late_fill_keeps_a_canceled_order_canceled_and_reports_no_status_change() -> None:
    order = acked().apply_status("canceled", at(1), filled_quantity=Decimal("0.4")).order

    events = order.apply_execution(fill("E1", "0.4")).events

    assert [type(e) for e in events] == [ExecutionApplied]
    assert isinstance(events[0], ExecutionApplied)
    assert events[0].status is S.CANCELED


def test_a_fill_beyond_the_canceled_quantity_raises_with_the_cap_as_the_limit() -> None:
    order = acked().apply_status("canceled", at(1), filled_quantity=Decimal("0.4")).order
    order = order.apply_execution(fill("E1", "0.3")).order

    with pytest.raises(OverfillError) as caught:
        order.apply_execution(fill("E2", "0.2"))

    assert (caught.value.limit, caught.value.filled, caught.value.quantity) == (
        Decimal("0.4"),
        Decimal("0.3"),
        Decimal("0.2"),
    )


def test_a_cancel_without_a_reported_quantity_caps_fills_at_what_is_already_filled() -> None:
    order = acked().apply_execution(fill("E1", "0.3")).order
    canceled = order.apply_status("canceled", at(2)).order

    assert canceled.closed_filled_quantity == Decimal("0.3")
    with pytest.raises(OverfillError):
        canceled.apply_execution(fill("E2", "0.1"))


def test_a_cancel_reporting_less_than_already_filled_raises() -> None:
    order = acked().apply_execution(fill("E1", "0.5")).order

    with pytest.raises(OverfillError):
        order.apply_status("canceled", at(2), filled_quantity=Decimal("0.4"))


def test_a_cancel_reporting_more_than_the_quantity_raises() -> None:
    with pytest.raises(OverfillError):
        acked().apply_status("canceled", at(2), filled_quantity=Decimal("1.5"))


def test_a_repeated_cancel_changes_nothing_and_keeps_the_first_cap() -> None:
    canceled = acked().apply_status("canceled", at(1), filled_quantity=Decimal("0.4")).order

    change = canceled.apply_status("canceled", at(2), filled_quantity=Decimal("0.6"))

    assert change.order is canceled
    assert change.events == ()


def test_an_expiry_caps_late_fills_like_a_cancel() -> None:
    order = acked().apply_status("expired", at(1), filled_quantity=Decimal("0.2")).order

    assert order.apply_execution(fill("E1", "0.2")).order.status is S.EXPIRED
    with pytest.raises(OverfillError):
        order.apply_execution(fill("E2", "0.3"))


def test_a_rejected_order_accepts_no_fills() -> None:
    rejected = limit_buy().apply_status("rejected", at(1), reason="insufficient funds").order

    assert rejected.closed_filled_quantity == 0
    with pytest.raises(OverfillError) as caught:
        rejected.apply_execution(fill("E1", "0.1"))

    assert caught.value.limit == 0


def test_a_filled_report_before_the_fills_lets_them_all_arrive() -> None:
    order = acked().apply_status("filled", at(1)).order

    order = order.apply_execution(fill("E1", "0.5")).order
    order = order.apply_execution(fill("E2", "0.5")).order

    assert order.status is S.FILLED
    assert order.filled_quantity == 1
    with pytest.raises(OverfillError):
        order.apply_execution(fill("E3", "0.01"))


def test_a_canceled_order_cannot_become_filled() -> None:
    canceled = acked().apply_status("canceled", at(1)).order

    with pytest.raises(InvalidOrderTransition) as caught:
        canceled.apply_status("filled", at(2))

    assert (caught.value.current, caught.value.requested) == ("canceled", "filled")


def test_a_filled_order_cannot_be_canceled() -> None:
    filled = acked().apply_execution(fill("E1", "1")).order

    with pytest.raises(InvalidOrderTransition):
        filled.apply_status("canceled", at(2), filled_quantity=Decimal("1"))


def test_a_network_error_makes_the_order_unknown() -> None:
    change = acked().apply_status("unknown", at(1), reason="timeout")

    assert change.order.status is S.UNKNOWN
    assert change.order.status.is_open
    assert change.order.closed_filled_quantity is None


@pytest.mark.parametrize("reported", ["new", "canceled", "expired", "rejected", "filled"])
def test_an_unknown_order_resolves_to_whatever_the_exchange_reports(reported: str) -> None:
    unknown = limit_buy().apply_status("unknown", at(1)).order

    assert unknown.apply_status(reported, at(2)).order.status == reported


@pytest.mark.parametrize("closed", ["filled", "canceled", "expired", "rejected"])
def test_a_network_error_after_a_definitive_close_keeps_the_close(closed: str) -> None:
    order = limit_buy().apply_status(closed, at(1), filled_quantity=Decimal(0)).order
    change = order.apply_status("unknown", at(2), reason="timeout")
    assert change.order.status == closed
    assert change.events == ()

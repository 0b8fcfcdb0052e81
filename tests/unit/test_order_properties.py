"""Properties of the order aggregate: delivery order and duplicates never change the outcome.

An exchange delivers fills, acknowledgements and cancels over two racing channels (REST answers and a
WebSocket), with retransmissions. Whatever the delivery order and however often a message repeats, the
order we end up with must be the same. Timestamps follow exchange time (ack <= fills <= cancel); only the
delivery order is shuffled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Union

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galfriday.domain.events import ExecutionApplied
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.errors import OverfillError

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOT = Decimal("0.00000001")

PROPERTY = settings(max_examples=150, deadline=None)


@attrs.frozen
class Ack:
    at: datetime


@attrs.frozen
class Cancel:
    at: datetime
    filled_quantity: Decimal


Message = Union[Execution, Ack, Cancel]  # noqa: UP007


@attrs.frozen
class Scenario:
    order: Order
    executions: tuple[Execution, ...]
    unfilled: Decimal
    """Quantity left open after every execution (zero when the executions fill the order)."""

    @property
    def filled(self) -> Decimal:
        return sum((e.quantity for e in self.executions), Decimal(0))

    @property
    def ack(self) -> Ack:
        return Ack(self.order.created_at + timedelta(seconds=1))

    @property
    def cancel(self) -> Cancel:
        last = max(e.timestamp for e in self.executions)
        return Cancel(last + timedelta(seconds=1), self.filled)


lots = st.integers(min_value=1, max_value=10**9).map(lambda n: n * LOT)  # 0.00000001 .. 10
prices = st.decimals(
    min_value=Decimal("0.00000001"),
    max_value=Decimal("100000"),
    places=8,
    allow_nan=False,
    allow_infinity=False,
)
fees = st.one_of(
    st.just(Decimal(0)),
    st.decimals(min_value=0, max_value=Decimal("50"), places=8, allow_nan=False, allow_infinity=False),
)


@st.composite
def scenarios(draw: st.DrawFn, *, partial: bool | None = None) -> Scenario:
    """A limit order and executions that fit it; `partial` forces some quantity to stay unfilled (or not)."""
    side = draw(st.sampled_from(OrderSide))
    quantities = draw(st.lists(lots, min_size=1, max_size=8))
    if partial is None:
        unfilled = draw(st.one_of(st.just(Decimal(0)), lots))
    else:
        unfilled = draw(lots) if partial else Decimal(0)
    order = Order.create(
        client_order_id="C1",
        symbol="BTC/USD",
        side=side,
        order_type="limit",
        quantity=sum(quantities, Decimal(0)) + unfilled,
        limit_price=draw(prices),
        at=T0,
    )
    executions = tuple(
        Execution(
            exec_id=f"E{index}",
            order_id="X1",
            symbol="BTC/USD",
            side=side,
            quantity=quantity,
            price=draw(prices),
            timestamp=T0 + timedelta(seconds=2 + draw(st.integers(min_value=0, max_value=3600))),
            fee=draw(fees),
            fee_currency=draw(st.sampled_from(["USD", "BTC", "EUR"])),
        )
        for index, quantity in enumerate(quantities)
    )
    return Scenario(order, executions, unfilled)


@st.composite
def deliveries(draw: st.DrawFn, messages: list[Message]) -> list[Message]:
    """The messages in any order, each delivered at least once and some more than once."""
    repeats = draw(st.lists(st.sampled_from(messages), max_size=len(messages) + 2))
    return draw(st.permutations(messages + repeats))


def deliver(order: Order, messages: list[Message]) -> Order:
    for message in messages:
        if isinstance(message, Execution):
            order = order.apply_execution(message).order
        elif isinstance(message, Ack):
            order = order.apply_status(OrderStatus.NEW, message.at, exchange_order_id="X1").order
        else:
            order = order.apply_status(
                OrderStatus.CANCELED, message.at, filled_quantity=message.filled_quantity, reason="user"
            ).order
    return order


def outcome(order: Order) -> tuple[object, ...]:
    """What the brief calls the final order state, named so a failure shows which part differs."""
    return (
        order.status,
        order.filled_quantity,
        order.filled_cost,
        order.average_price,
        order.fees,
        order.exec_ids,
    )


# --- fills commute and are idempotent --------------------------------------------------------------------


@PROPERTY
@given(st.data(), scenarios())
def test_fills_in_any_order_with_any_repeats_give_the_same_order(data: st.DataObject, s: Scenario) -> None:
    expected = deliver(s.order, list(s.executions))

    actual = deliver(s.order, data.draw(deliveries(list(s.executions))))

    assert outcome(actual) == outcome(expected)
    assert actual == expected


@PROPERTY
@given(scenarios())
def test_the_final_state_adds_up_the_fills(s: Scenario) -> None:
    order = deliver(s.order, list(s.executions))

    assert order.filled_quantity == s.filled
    assert order.filled_cost == sum((e.quantity * e.price for e in s.executions), Decimal(0))
    assert order.exec_ids == {e.exec_id for e in s.executions}
    assert order.status is (OrderStatus.PARTIALLY_FILLED if s.unfilled else OrderStatus.FILLED)
    assert order.average_price == order.filled_cost / order.filled_quantity
    assert order.updated_at == max(e.timestamp for e in s.executions)
    for currency in ("USD", "BTC", "EUR"):
        paid = sum((e.fee for e in s.executions if e.fee_currency == currency), Decimal(0))
        assert order.fees.get(currency, Decimal(0)) == paid
    assert all(fee > 0 for fee in order.fees.values())


@PROPERTY
@given(st.data(), scenarios())
def test_an_ack_interleaved_anywhere_with_the_fills_gives_the_same_order(
    data: st.DataObject, s: Scenario
) -> None:
    expected = deliver(s.order, [s.ack, *s.executions])

    actual = deliver(s.order, data.draw(deliveries([s.ack, *s.executions])))

    assert outcome(actual) == outcome(expected)
    assert actual == expected
    assert actual.exchange_order_id == "X1"


@PROPERTY
@given(st.data(), scenarios(partial=True))
def test_a_cancel_with_the_final_quantity_arriving_before_some_fills_gives_the_same_order(
    data: st.DataObject, s: Scenario
) -> None:
    messages: list[Message] = [s.ack, *s.executions, s.cancel]
    expected = deliver(s.order, messages)

    actual = deliver(s.order, data.draw(deliveries(messages)))

    assert outcome(actual) == outcome(expected)
    assert actual == expected
    assert actual.status is OrderStatus.CANCELED
    assert actual.filled_quantity == actual.closed_filled_quantity == s.filled
    assert actual.reason == "user"


@PROPERTY
@given(st.data(), scenarios(partial=True), lots)
def test_after_a_cancel_no_delivery_order_lets_a_fill_beyond_the_reported_quantity_in(
    data: st.DataObject, s: Scenario, extra: Decimal
) -> None:
    intruder = attrs.evolve(s.executions[0], exec_id="E-extra", quantity=extra)
    canceled = deliver(s.order, data.draw(st.permutations([s.ack, s.cancel, *s.executions])))

    with pytest.raises(OverfillError) as caught:
        canceled.apply_execution(intruder)

    assert caught.value.limit == s.filled


@PROPERTY
@given(st.data(), scenarios(partial=False), lots)
def test_fills_exceeding_the_quantity_are_refused_in_every_delivery_order(
    data: st.DataObject, s: Scenario, extra: Decimal
) -> None:
    intruder = attrs.evolve(s.executions[0], exec_id="E-extra", quantity=extra)
    delivery = data.draw(st.permutations([*s.executions, intruder]))

    order = s.order
    refused = []
    for execution in delivery:
        try:
            order = order.apply_execution(execution).order
        except OverfillError:
            refused.append(execution)

    assert refused, "an overfilling set of executions was accepted whole"
    assert order.filled_quantity <= order.quantity


@PROPERTY
@given(st.data(), scenarios())
def test_filled_quantity_never_exceeds_the_fillable_limit_at_any_step(
    data: st.DataObject, s: Scenario
) -> None:
    order = s.order
    for message in data.draw(deliveries([s.ack, *s.executions])):
        order = deliver(order, [message])
        assert 0 <= order.filled_quantity <= order.fillable_limit <= order.quantity
        assert order.remaining_quantity == order.quantity - order.filled_quantity


# --- positions fed from orders ---------------------------------------------------------------------------


@PROPERTY
@given(st.data(), scenarios())
def test_a_position_fed_by_the_orders_applied_executions_ignores_duplicates(
    data: st.DataObject, s: Scenario
) -> None:
    """Position does not deduplicate; the order does, and only new executions are passed on."""
    expected = Position.flat("BTC/USD", T0)
    for execution in s.executions:
        expected = expected.apply_fill(execution)

    order, position = s.order, Position.flat("BTC/USD", T0)
    delivery: list[Message] = data.draw(deliveries(list(s.executions)))
    for message in delivery:
        assert isinstance(message, Execution)
        change = order.apply_execution(message)
        order = change.order
        for event in change.events:
            if isinstance(event, ExecutionApplied):
                position = position.apply_fill(event.execution)

    assert position.quantity == expected.quantity == s.filled * s.order.side.sign
    assert position.updated_at == expected.updated_at
    # The average cost is a rounded quotient, so it depends on the order the fills were added in;
    # it agrees to far below any price precision an exchange quotes.
    assert abs(position.average_cost - expected.average_cost) <= Decimal("1e-15")

"""Specification of reconciliation: our state against an exchange snapshot, as typed, sized discrepancies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.positions import Position
from galfriday.domain.reconciliation import (
    Discrepancy,
    DiscrepancyKind,
    ExchangeSnapshot,
    InternalState,
    Scope,
    reconcile,
)

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TAKEN = T0 + timedelta(hours=1)
D = Decimal
K = DiscrepancyKind


def balance(asset: str, total: str, available: str | None = None) -> Balance:
    return Balance(asset, D(total), D(available if available is not None else total), T0)


def acked(client_id: str, quantity: str = "2", side: str = "buy", exchange_id: str | None = None) -> Order:
    placed = Order.create(
        client_order_id=client_id,
        symbol="BTC/USD",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=D(100),
        at=T0,
    )
    return placed.apply_status(OrderStatus.NEW, T0, exchange_order_id=exchange_id or f"O-{client_id}").order


def fill(exec_id: str, client_id: str, quantity: str, *, seconds: int = 1, side: str = "buy") -> Execution:
    return Execution(
        exec_id=exec_id,
        order_id=f"O-{client_id}",
        client_order_id=client_id,
        symbol="BTC/USD",
        side=side,
        quantity=D(quantity),
        price=D(100),
        timestamp=T0 + timedelta(seconds=seconds),
    )


def snapshot(**kwargs: object) -> ExchangeSnapshot:
    return ExchangeSnapshot(taken_at=TAKEN, since=T0, **kwargs)  # type: ignore[arg-type]


def kinds(found: list[Discrepancy]) -> list[tuple[DiscrepancyKind, str]]:
    return [(d.kind, d.subject) for d in found]


def test_identical_states_have_no_discrepancy() -> None:
    order = acked("a").apply_execution(fill("T1", "a", "1")).order
    internal = InternalState(
        balances=[balance("BTC", "1")],
        orders=[order],
        executions=[fill("T1", "a", "1")],
        positions=[Position("BTC/USD", D(1), D(100), D(0), T0)],
    )
    exchange = snapshot(balances=[balance("BTC", "1")], orders=[order], trades=[fill("T1", "a", "1")])
    assert reconcile(internal, exchange) == []


def test_a_balance_total_that_differs_is_a_balance_mismatch_with_its_size() -> None:
    found = reconcile(
        InternalState(balances=[balance("BTC", "1")]), snapshot(balances=[balance("BTC", "1.25")])
    )
    [mismatch] = found
    assert (mismatch.kind, mismatch.subject, mismatch.scope, mismatch.key) == (
        K.BALANCE_MISMATCH,
        "balance:BTC",
        Scope.ASSET,
        "BTC",
    )
    assert (mismatch.internal, mismatch.reference) == (D(1), D("1.25"))
    assert mismatch.absolute == D("0.25")
    assert mismatch.relative == D("0.2")


def test_a_balance_with_equal_totals_and_different_available_is_reported_on_available() -> None:
    found = reconcile(
        InternalState(balances=[balance("USD", "100", "100")]),
        snapshot(balances=[balance("USD", "100", "60")]),
    )
    assert kinds(found) == [(K.BALANCE_MISMATCH, "balance:USD:available")]


def test_an_asset_only_the_exchange_has_is_a_mismatch_from_nothing() -> None:
    [mismatch] = reconcile(InternalState(), snapshot(balances=[balance("ETH", "3")]))
    assert (mismatch.internal, mismatch.reference, mismatch.relative) == (None, D(3), D(1))


def test_an_asset_only_we_have_is_a_mismatch_to_zero() -> None:
    [mismatch] = reconcile(InternalState(balances=[balance("ETH", "3")]), snapshot())
    assert (mismatch.internal, mismatch.reference) == (D(3), D(0))


def test_a_balance_we_updated_after_the_snapshot_is_not_compared() -> None:
    later = Balance("BTC", D(5), D(5), TAKEN + timedelta(seconds=1))
    assert reconcile(InternalState(balances=[later]), snapshot(balances=[balance("BTC", "1")])) == []


def test_a_fill_in_the_trade_history_we_lack_is_a_missing_fill_carrying_the_real_execution() -> None:
    ours = acked("a")
    theirs = ours.apply_execution(fill("T1", "a", "0.5")).order
    found = reconcile(
        InternalState(orders=[ours]), snapshot(orders=[theirs], trades=[fill("T1", "a", "0.5")])
    )
    [missing] = [d for d in found if d.kind is K.MISSING_FILL]
    assert missing.subject == "fill:T1"
    assert missing.fills == (fill("T1", "a", "0.5"),)
    assert (missing.internal, missing.reference) == (D(0), D("0.5"))


def test_a_missing_fill_that_explains_the_status_makes_no_status_mismatch() -> None:
    ours = acked("a", quantity="1")
    theirs = ours.apply_execution(fill("T1", "a", "1")).order
    found = reconcile(InternalState(orders=[ours]), snapshot(orders=[theirs], trades=[fill("T1", "a", "1")]))
    assert kinds(found) == [(K.MISSING_FILL, "fill:T1")]


def test_a_filled_quantity_the_trade_history_cannot_explain_is_an_uncorrectable_quantity_mismatch() -> None:
    ours = acked("a")
    theirs = ours.apply_execution(fill("T1", "a", "0.5")).order
    found = reconcile(InternalState(orders=[ours]), snapshot(orders=[theirs]))
    [quantity] = [d for d in found if d.kind is K.QUANTITY_MISMATCH]
    assert quantity.subject == "order:O-a:filled"
    assert quantity.correctable is False


def test_an_order_closed_on_the_exchange_and_open_here_is_a_status_mismatch_after_its_fills() -> None:
    ours = acked("a")
    theirs = (
        ours.apply_execution(fill("T1", "a", "0.5")).order.apply_status(OrderStatus.CANCELED, TAKEN).order
    )
    found = reconcile(
        InternalState(orders=[ours]), snapshot(orders=[theirs], trades=[fill("T1", "a", "0.5")])
    )
    assert kinds(found) == [(K.MISSING_FILL, "fill:T1"), (K.STATUS_MISMATCH, "order:O-a")]
    status = found[1]
    assert status.correctable is True
    assert status.depends_on == ("fill:T1",)
    assert status.absolute == 0


def test_a_closed_order_the_exchange_reports_open_cannot_be_corrected_automatically() -> None:
    ours = acked("a").apply_status(OrderStatus.CANCELED, T0).order
    theirs = acked("a")
    [status] = reconcile(InternalState(orders=[ours]), snapshot(orders=[theirs]))
    assert status.kind is K.STATUS_MISMATCH
    assert status.correctable is False


def test_an_order_the_exchange_has_and_we_do_not_is_an_unknown_exchange_order_with_its_fills() -> None:
    theirs = acked("x", quantity="3").apply_execution(fill("T7", "x", "1")).order
    [unknown] = reconcile(InternalState(), snapshot(orders=[theirs], trades=[fill("T7", "x", "1")]))
    assert (unknown.kind, unknown.subject) == (K.UNKNOWN_EXCHANGE_ORDER, "order:O-x")
    assert unknown.exchange_order == theirs
    assert unknown.fills == (fill("T7", "x", "1"),)
    assert unknown.reference == D(3)


def test_an_unknown_order_closed_without_a_fill_is_ignored() -> None:
    theirs = acked("x").apply_status(OrderStatus.CANCELED, T0).order
    assert reconcile(InternalState(), snapshot(orders=[theirs])) == []


def test_an_unknown_closed_order_is_sized_by_what_it_filled() -> None:
    theirs = acked("x", quantity="3").apply_execution(fill("T7", "x", "1")).order
    closed = theirs.apply_status(OrderStatus.CANCELED, T0 + timedelta(seconds=5)).order
    [unknown] = reconcile(InternalState(), snapshot(orders=[closed], trades=[fill("T7", "x", "1")]))
    assert unknown.reference == D(1)


def test_our_open_order_the_exchange_does_not_have_is_missing_on_the_exchange() -> None:
    ours = acked("a", quantity="2")
    [missing] = reconcile(InternalState(orders=[ours]), snapshot())
    assert (missing.kind, missing.subject) == (K.ORDER_MISSING_ON_EXCHANGE, "order:O-a")
    assert (missing.internal, missing.reference) == (D(2), None)


def test_an_order_matched_by_client_id_before_we_learned_its_exchange_id_is_not_missing() -> None:
    pending = Order.create(
        client_order_id="a",
        symbol="BTC/USD",
        side="buy",
        order_type="limit",
        quantity=D(1),
        limit_price=D(100),
        at=T0,
    )
    found = reconcile(InternalState(orders=[pending]), snapshot(orders=[acked("a", quantity="1")]))
    assert kinds(found) == [(K.STATUS_MISMATCH, "order:O-a")]


def test_an_amended_quantity_is_a_correctable_quantity_mismatch() -> None:
    ours = acked("a", quantity="2")
    theirs = attrs.evolve(ours, quantity=D(3))
    [amended] = reconcile(InternalState(orders=[ours]), snapshot(orders=[theirs]))
    assert (amended.kind, amended.subject, amended.correctable) == (
        K.QUANTITY_MISMATCH,
        "order:O-a:quantity",
        True,
    )


def test_an_order_we_changed_after_the_snapshot_is_not_compared() -> None:
    ours = acked("a").apply_status(OrderStatus.CANCELED, TAKEN + timedelta(seconds=1)).order
    assert reconcile(InternalState(orders=[ours]), snapshot(orders=[acked("a")])) == []


def test_a_stored_position_that_differs_from_the_replay_of_our_fills_is_a_quantity_mismatch() -> None:
    fills = [fill("T1", "a", "1"), fill("T2", "a", "1", seconds=2)]
    stored = Position("BTC/USD", D(1), D(100), D(0), T0)
    found = reconcile(InternalState(executions=fills, positions=[stored]), snapshot())
    assert kinds(found) == [(K.QUANTITY_MISMATCH, "position:BTC/USD")]
    assert (found[0].internal, found[0].reference) == (D(1), D(2))


def test_a_stored_average_cost_that_differs_from_the_replay_is_a_cost_basis_mismatch() -> None:
    stored = Position("BTC/USD", D(1), D(90), D(0), T0)
    found = reconcile(InternalState(executions=[fill("T1", "a", "1")], positions=[stored]), snapshot())
    assert kinds(found) == [(K.COST_BASIS_MISMATCH, "cost_basis:BTC/USD")]
    assert found[0].relative == D("0.1")


def test_quantity_and_cost_basis_of_one_position_depend_on_each_other() -> None:
    stored = Position("BTC/USD", D(2), D(90), D(0), T0)
    quantity, cost = reconcile(
        InternalState(executions=[fill("T1", "a", "1")], positions=[stored]), snapshot()
    )
    assert quantity.depends_on == ("cost_basis:BTC/USD",)
    assert cost.depends_on == ("position:BTC/USD",)


def test_the_identity_of_a_discrepancy_ignores_trailing_zeros() -> None:
    one = reconcile(InternalState(balances=[balance("BTC", "1.0")]), snapshot(balances=[balance("BTC", "2")]))
    two = reconcile(
        InternalState(balances=[balance("BTC", "1")]), snapshot(balances=[balance("BTC", "2.00")])
    )
    assert one[0].identity == two[0].identity

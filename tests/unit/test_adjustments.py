"""Specification of decisions and adjustments: tolerance applied, dependencies honoured, deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from galfriday.domain.adjustments import (
    Action,
    adjustment_for,
    adjustment_id,
    adopted,
    closed_as_missing,
    decide,
)
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.reconciliation import Discrepancy, DiscrepancyKind, Scope
from galfriday.domain.tolerance import Tolerance, TolerancePolicy

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
D = Decimal
K = DiscrepancyKind


def discrepancy(
    kind: DiscrepancyKind = K.BALANCE_MISMATCH,
    subject: str = "balance:BTC",
    internal: str | None = "1",
    reference: str | None = "1.001",
    *,
    scope: Scope = Scope.ASSET,
    key: str = "BTC",
    correctable: bool = True,
    depends_on: tuple[str, ...] = (),
) -> Discrepancy:
    return Discrepancy(
        kind,
        subject,
        scope,
        key,
        None if internal is None else D(internal),
        None if reference is None else D(reference),
        "detail",
        correctable=correctable,
        depends_on=depends_on,
    )


LOOSE = TolerancePolicy(default=Tolerance(max_relative=D("0.01")), always_import_fills=False)
TIGHT = TolerancePolicy(default=Tolerance(), always_import_fills=False)


def test_a_discrepancy_within_tolerance_is_corrected_automatically() -> None:
    [decision] = decide([discrepancy()], LOOSE)
    assert decision.action is Action.AUTO_CORRECT


def test_a_discrepancy_beyond_tolerance_goes_to_manual_review_saying_by_how_much() -> None:
    [decision] = decide([discrepancy()], TIGHT)
    assert decision.action is Action.MANUAL_REVIEW
    assert "beyond tolerance of BTC" in decision.reason
    assert "0.001" in decision.reason


def test_the_asset_tolerance_overrides_the_default() -> None:
    policy = TolerancePolicy(default=Tolerance(), per_asset={"BTC": Tolerance(max_absolute=D("0.01"))})
    [decision] = decide([discrepancy()], policy)
    assert decision.automatic


def test_the_pair_tolerance_applies_to_pair_scoped_discrepancies() -> None:
    policy = TolerancePolicy(default=Tolerance(), per_pair={"BTC/USD": Tolerance(max_absolute=D(5))})
    found = discrepancy(K.ORDER_MISSING_ON_EXCHANGE, "order:O1", "2", None, scope=Scope.PAIR, key="BTC/USD")
    assert decide([found], policy)[0].automatic


def test_an_uncorrectable_discrepancy_always_goes_to_review() -> None:
    [decision] = decide([discrepancy(correctable=False, reference="1")], LOOSE)
    assert decision.action is Action.MANUAL_REVIEW


def test_missing_fills_are_imported_whatever_their_size_by_default() -> None:
    fill = discrepancy(K.MISSING_FILL, "fill:T1", "0", "5", scope=Scope.PAIR, key="BTC/USD")
    assert decide([fill], TolerancePolicy(default=Tolerance()))[0].automatic


def test_missing_fills_follow_the_tolerance_when_told_to() -> None:
    fill = discrepancy(K.MISSING_FILL, "fill:T1", "0", "5", scope=Scope.PAIR, key="BTC/USD")
    assert not decide([fill], TIGHT)[0].automatic


def test_a_discrepancy_waiting_for_one_under_review_goes_to_review_too() -> None:
    fill = discrepancy(K.MISSING_FILL, "fill:T1", "0", "5", scope=Scope.PAIR, key="BTC/USD")
    status = discrepancy(
        K.STATUS_MISMATCH, "order:O1", "5", "5", scope=Scope.PAIR, key="BTC/USD", depends_on=("fill:T1",)
    )
    decisions = {d.discrepancy.subject: d for d in decide([status, fill], TIGHT)}
    assert decisions["order:O1"].action is Action.MANUAL_REVIEW
    assert "fill:T1" in decisions["order:O1"].reason


def test_mutually_dependent_discrepancies_are_decided_together() -> None:
    quantity = discrepancy(
        K.QUANTITY_MISMATCH, "position:BTC/USD", "1", "1.0000001", scope=Scope.PAIR, key="BTC/USD",
        depends_on=("cost_basis:BTC/USD",),
    )  # fmt: skip
    cost = discrepancy(
        K.COST_BASIS_MISMATCH, "cost_basis:BTC/USD", "90", "100", scope=Scope.PAIR, key="BTC/USD",
        depends_on=("position:BTC/USD",),
    )  # fmt: skip
    decisions = decide([quantity, cost], LOOSE)
    assert [d.action for d in decisions] == [Action.MANUAL_REVIEW, Action.MANUAL_REVIEW]


def test_decisions_come_in_the_order_corrections_apply() -> None:
    found = [
        discrepancy(K.BALANCE_MISMATCH),
        discrepancy(K.STATUS_MISMATCH, "order:O1", scope=Scope.PAIR, key="BTC/USD"),
        discrepancy(K.MISSING_FILL, "fill:T1", scope=Scope.PAIR, key="BTC/USD"),
        discrepancy(K.UNKNOWN_EXCHANGE_ORDER, "order:O2", scope=Scope.PAIR, key="BTC/USD"),
    ]
    assert [d.discrepancy.kind for d in decide(found, LOOSE)] == [
        K.UNKNOWN_EXCHANGE_ORDER,
        K.MISSING_FILL,
        K.STATUS_MISMATCH,
        K.BALANCE_MISMATCH,
    ]


def test_the_same_discrepancy_has_the_same_adjustment_id() -> None:
    assert adjustment_id(discrepancy()) == adjustment_id(discrepancy())


def test_a_discrepancy_with_other_values_has_another_adjustment_id() -> None:
    assert adjustment_id(discrepancy(reference="1.002")) != adjustment_id(discrepancy())


def test_an_adjustment_records_old_and_new_values_and_the_reason() -> None:
    [decision] = decide([discrepancy()], LOOSE)
    adjustment = adjustment_for(decision, "run-1", T0)
    assert (adjustment.run_id, adjustment.subject, adjustment.kind) == (
        "run-1",
        "balance:BTC",
        "balance_mismatch",
    )
    assert (adjustment.old_value, adjustment.new_value) == (D(1), D("1.001"))
    assert "within tolerance of BTC" in adjustment.reason
    assert adjustment.id == adjustment_id(decision.discrepancy)


def _acked(quantity: str = "2") -> Order:
    placed = Order.create(
        client_order_id="x",
        symbol="BTC/USD",
        side="buy",
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=D(100),
        at=T0,
    )
    return placed.apply_status(OrderStatus.NEW, T0, exchange_order_id="O-x").order


def test_an_adopted_order_is_external_and_starts_from_no_fills() -> None:
    report = _acked().apply_status(OrderStatus.CANCELED, T0 + timedelta(seconds=1), filled_quantity=D(0))
    order = adopted(report.order)
    assert order.external is True
    assert (order.status, order.filled_quantity, order.exec_ids) == (OrderStatus.NEW, D(0), frozenset())


def test_an_acknowledged_order_missing_on_the_exchange_is_closed_as_canceled() -> None:
    closed = closed_as_missing(_acked(), T0)
    assert closed.status is OrderStatus.CANCELED
    assert closed.reason == "reconciliation: unknown to the exchange"


def test_an_unacknowledged_order_missing_on_the_exchange_is_closed_as_rejected() -> None:
    pending = Order.create(
        client_order_id="p",
        symbol="BTC/USD",
        side="buy",
        order_type=OrderType.MARKET,
        quantity=D(1),
        at=T0,
    )
    assert closed_as_missing(pending, T0).status is OrderStatus.REJECTED

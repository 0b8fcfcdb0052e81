"""Corrections as adjustments: which discrepancies are corrected automatically, in what order, and the audit
record of each, with an id that is the same for the same discrepancy in every run and after every restart.

`decide` applies the tolerance policy: a discrepancy is corrected automatically when it can be, is within its
tolerance, and everything it depends on is corrected too (a status only after the fills behind it; a position's
quantity and cost basis together); everything else goes to manual review. `adjustment_id` hashes the
discrepancy's identity (kind, subject, both values) with uuid5, so recording a correction twice is recognised.
The corrections themselves are domain changes (`adopted`, `closed_as_missing`, `amended`); none overwrites a
fill: a missing fill is the exchange's own execution, imported as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

import attrs
from attrs import frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.domain.reconciliation import Discrepancy, DiscrepancyKind, Scope
from galfriday.domain.reconciliation_audit import PositionAdjustment
from galfriday.domain.tolerance import TolerancePolicy

ADJUSTMENT_NAMESPACE = uuid.UUID("6f1c2a4e-5b0d-5d43-9a55-2f6c0c7b9e11")
"""The uuid5 namespace of adjustment ids. Changing it would give every past correction a new id: never do."""


class Action(StrEnum):
    AUTO_CORRECT = "auto_correct"
    MANUAL_REVIEW = "manual_review"


@frozen
class Decision:
    """What to do about one discrepancy, and why."""

    discrepancy: Discrepancy
    action: Action
    reason: str

    @property
    def automatic(self) -> bool:
        return self.action is Action.AUTO_CORRECT


# The order corrections are applied in: an order must exist before its fills, fills before the status they
# explain; positions last, from the fills as they then are.
APPLY_ORDER: dict[DiscrepancyKind, int] = {
    DiscrepancyKind.UNKNOWN_EXCHANGE_ORDER: 0,
    DiscrepancyKind.MISSING_FILL: 1,
    DiscrepancyKind.STATUS_MISMATCH: 3,
    DiscrepancyKind.ORDER_MISSING_ON_EXCHANGE: 4,
    DiscrepancyKind.BALANCE_MISMATCH: 5,
    DiscrepancyKind.COST_BASIS_MISMATCH: 6,
}


def apply_rank(discrepancy: Discrepancy) -> int:
    """Position of a discrepancy's correction in `APPLY_ORDER` (an order's quantity comes before its status)."""
    if discrepancy.kind is DiscrepancyKind.QUANTITY_MISMATCH:
        return 6 if discrepancy.subject.startswith("position:") else 2
    return APPLY_ORDER[discrepancy.kind]


def _first_verdict(discrepancy: Discrepancy, policy: TolerancePolicy) -> tuple[bool, str]:
    if not discrepancy.correctable:
        return False, "cannot be corrected automatically"
    if discrepancy.kind is DiscrepancyKind.MISSING_FILL and policy.always_import_fills:
        return True, "imported from the exchange's trade history"
    if discrepancy.scope is Scope.ASSET:
        tolerance = policy.for_asset(discrepancy.key)
    else:
        tolerance = policy.for_pair(discrepancy.key)
    relative_only = discrepancy.kind is DiscrepancyKind.COST_BASIS_MISMATCH
    if tolerance.admits(discrepancy.absolute, discrepancy.relative, relative_only=relative_only):
        return True, f"within tolerance of {discrepancy.key}"
    bound = "relative" if relative_only else f"absolute {tolerance.max_absolute} or relative"
    return False, (
        f"beyond tolerance of {discrepancy.key} ({bound} {tolerance.max_relative}; "
        f"off by {discrepancy.absolute}, {discrepancy.relative:.6f} relative)"
    )


def decide(discrepancies: Sequence[Discrepancy], policy: TolerancePolicy) -> list[Decision]:
    """One decision per discrepancy, in the order corrections must be applied."""
    verdicts = {d.subject: _first_verdict(d, policy) for d in discrepancies}
    changed = True
    while changed:  # demote whatever depends on a manual one, until nothing moves (cycles included)
        changed = False
        for d in discrepancies:
            automatic, _ = verdicts[d.subject]
            if not automatic:
                continue
            blocked = [s for s in d.depends_on if s in verdicts and not verdicts[s][0]]
            if blocked:
                verdicts[d.subject] = (False, f"waits for {blocked[0]}, which needs review")
                changed = True
    ordered = sorted(discrepancies, key=apply_rank)
    return [
        Decision(
            d, Action.AUTO_CORRECT if verdicts[d.subject][0] else Action.MANUAL_REVIEW, verdicts[d.subject][1]
        )
        for d in ordered
    ]


def adjustment_id(discrepancy: Discrepancy) -> str:
    """The same id for the same discrepancy, in every run and process (uuid5 of its identity)."""
    return str(uuid.uuid5(ADJUSTMENT_NAMESPACE, discrepancy.identity))


def adjustment_for(decision: Decision, run_id: str, at: datetime) -> PositionAdjustment:
    """The audit record of an automatic correction: the value before, the value after, and why."""
    d = decision.discrepancy
    return PositionAdjustment(
        id=adjustment_id(d),
        run_id=run_id,
        subject=d.subject,
        kind=d.kind.value,
        old_value=d.internal,
        new_value=d.reference,
        reason=f"{d.detail}; {decision.reason}",
        created_at=at,
    )


def adjustments_for(decisions: Iterable[Decision], run_id: str, at: datetime) -> list[PositionAdjustment]:
    return [adjustment_for(decision, run_id, at) for decision in decisions if decision.automatic]


# --- the corrections ---------------------------------------------------------------------------------------


def adopted(report: Order) -> Order:
    """An order we did not place, tracked from zero fills and marked external; its fills are then applied one
    by one (imported from the trade history), so its filled quantity is backed by real executions."""
    status = report.status if report.status in (OrderStatus.NEW, OrderStatus.PENDING_NEW) else OrderStatus.NEW
    return attrs.evolve(
        report,
        status=status,
        filled_quantity=ZERO,
        filled_cost=ZERO,
        fees={},
        exec_ids=frozenset(),
        closed_filled_quantity=None,
        external=True,
    )


def closed_as_missing(order: Order, at: datetime) -> Order:
    """Our open order the exchange does not have: `rejected` if it was never acknowledged, else `canceled`,
    keeping the fills it has."""
    never_acknowledged = order.status in (OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN)
    status = (
        OrderStatus.REJECTED if never_acknowledged and order.filled_quantity == 0 else OrderStatus.CANCELED
    )
    return order.apply_status(
        status, at, filled_quantity=order.filled_quantity, reason="reconciliation: unknown to the exchange"
    ).order


def amended(order: Order, report: Order) -> Order:
    """Our order with the quantity the exchange now has (an amendment we did not hear about)."""
    return attrs.evolve(order, quantity=report.quantity, updated_at=max(order.updated_at, report.updated_at))


def with_exchange_status(order: Order, report: Order, at: datetime) -> Order:
    """Our order moved to the status the exchange reports, with the exchange's filled quantity and id."""
    return order.apply_status(
        report.status,
        at,
        filled_quantity=report.filled_quantity,
        exchange_order_id=report.exchange_order_id,
        reason=report.reason if report.reason is not None else "reconciliation: status from the exchange",
    ).order

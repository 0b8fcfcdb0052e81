"""Reconciliation: our state against the exchange's, as typed discrepancies with their size.

`reconcile(internal, snapshot)` compares, on the union of both sides' keys:
- balances per asset (total, then available);
- every order the exchange reported (open, recently closed, looked up by id) with ours: fills the exchange's
  trade history holds and we lack (`missing_fill`), filled quantity and order quantity (`quantity_mismatch`),
  status (`status_mismatch`); orders we do not know (`unknown_exchange_order`); our open orders the exchange does
  not have (`order_missing_on_exchange`);
- every position with a replay of every fill we hold, in time order (`quantity_mismatch`, `cost_basis_mismatch`):
  positions are derived data, so the fills are the reference.

Each discrepancy has an `internal` and a `reference` value (what we hold, what we should hold), its absolute and
relative size, whether it can be corrected without a human, and the evidence a correction uses (the exchange's
order, fill or balance; the replayed position). Nothing here decides or corrects: see `tolerance` and
`adjustments`.

An order or balance we changed after the snapshot was taken is skipped (it moved during the run; the next run
looks again). The snapshot must hold every order the exchange knows among the ids of our open orders and of the
fills it lists (`ExchangeAccount.orders_by_id`): absence from it is the exchange's definitive "no such order".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter

from attrs import field, frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.order_status import OrderStatus, can_transition
from galfriday.domain.orders import Order
from galfriday.domain.portfolio import replay_positions
from galfriday.domain.positions import Position
from galfriday.domain.timestamps import to_utc


class DiscrepancyKind(StrEnum):
    QUANTITY_MISMATCH = "quantity_mismatch"
    MISSING_FILL = "missing_fill"
    UNKNOWN_EXCHANGE_ORDER = "unknown_exchange_order"
    ORDER_MISSING_ON_EXCHANGE = "order_missing_on_exchange"
    STATUS_MISMATCH = "status_mismatch"
    BALANCE_MISMATCH = "balance_mismatch"
    COST_BASIS_MISMATCH = "cost_basis_mismatch"


class Scope(StrEnum):
    """Which tolerance applies: the asset's (balances) or the pair's (orders, fills, positions)."""

    ASSET = "asset"
    PAIR = "pair"


@frozen
class Discrepancy:
    """One difference. `subject` names what differs and is unique within a run: `balance:BTC`,
    `balance:BTC:available`, `order:O123`, `order:O123:filled`, `order:O123:quantity`, `fill:T9`,
    `position:BTC/USD`, `cost_basis:BTC/USD`.
    """

    kind: DiscrepancyKind
    subject: str
    scope: Scope
    key: str
    """The asset or pair whose tolerance applies."""
    internal: Decimal | None
    """What we hold; None when we hold nothing (an order or balance we do not have)."""
    reference: Decimal | None
    """What we should hold (the exchange's value, or the replay of our fills); None when there is nothing."""
    detail: str
    correctable: bool = True
    """False when no automatic correction is safe (a fill the trade history no longer holds, a closed order
    the exchange reports open): it always goes to a human."""
    depends_on: tuple[str, ...] = ()
    """Subjects that must be corrected automatically for this one to be (fills before a status, say)."""
    exchange_order: Order | None = None
    internal_order: Order | None = None
    fills: tuple[Execution, ...] = ()
    balance: Balance | None = None
    position: Position | None = None

    @property
    def absolute(self) -> Decimal:
        """|reference - internal|, an absent side counting as zero."""
        return abs((self.reference or ZERO) - (self.internal or ZERO))

    @property
    def relative(self) -> Decimal:
        """`absolute` over the larger magnitude of the two sides: 0 when equal, 1 when one side is absent."""
        scale = max(abs(self.internal or ZERO), abs(self.reference or ZERO))
        return ZERO if scale == 0 else self.absolute / scale

    @property
    def drift(self) -> str:
        """What stays the same while both sides keep moving together: kind, subject, which sides exist and the
        signed gap `reference - internal`. A fill we missed leaves the same gap however much we trade after it;
        a lag in applying stream events changes or closes it."""
        sides = ("i" if self.internal is not None else "-") + ("r" if self.reference is not None else "-")
        gap = (self.reference or ZERO) - (self.internal or ZERO)
        return f"{self.kind.value}|{self.subject}|{sides}|{_text(gap)}"

    @property
    def identity(self) -> str:
        """What makes this discrepancy the same one across runs and restarts (adjustment ids hash it)."""
        return f"{self.kind.value}|{self.subject}|{_text(self.internal)}|{_text(self.reference)}"


def _text(value: Decimal | None) -> str:
    return "-" if value is None else str(value.normalize()) if value else "0"


def _orders(value: Iterable[Order]) -> tuple[Order, ...]:
    return tuple(value)


def _executions(value: Iterable[Execution]) -> tuple[Execution, ...]:
    return tuple(value)


def _balances(value: Iterable[Balance] | Mapping[str, Balance]) -> dict[str, Balance]:
    if isinstance(value, Mapping):
        return dict(value)
    return {balance.asset: balance for balance in value}


def _positions(value: Iterable[Position] | Mapping[str, Position]) -> dict[str, Position]:
    if isinstance(value, Mapping):
        return dict(value)
    return {position.symbol: position for position in value}


@frozen
class InternalState:
    """What we hold: balances, the orders concerned (our open ones and those the snapshot names), every
    execution we have stored (fills are the reference for positions), and positions."""

    balances: dict[str, Balance] = field(factory=dict, converter=_balances)
    orders: tuple[Order, ...] = field(default=(), converter=_orders)
    executions: tuple[Execution, ...] = field(default=(), converter=_executions)
    positions: dict[str, Position] = field(factory=dict, converter=_positions)


@frozen
class ExchangeSnapshot:
    """What the exchange reported, at `taken_at`: balances, orders (open, closed since `since`, looked up by
    id), and our fills since `since`."""

    taken_at: datetime = field(converter=to_utc)
    since: datetime = field(converter=to_utc)
    balances: dict[str, Balance] = field(factory=dict, converter=_balances)
    orders: tuple[Order, ...] = field(default=(), converter=_orders)
    trades: tuple[Execution, ...] = field(default=(), converter=_executions)


def reconcile(internal: InternalState, snapshot: ExchangeSnapshot) -> list[Discrepancy]:
    """Every difference between `internal` and `snapshot`, balances first, then orders, then positions."""
    found = list(_balance_discrepancies(internal.balances, snapshot))
    found += _order_discrepancies(internal, snapshot)
    found += _position_discrepancies(internal)
    return found


# --- balances ------------------------------------------------------------------------------------------


def _balance_discrepancies(ours: Mapping[str, Balance], snapshot: ExchangeSnapshot) -> Iterable[Discrepancy]:
    theirs = snapshot.balances
    for asset in sorted(ours.keys() | theirs.keys()):
        mine, exchange = ours.get(asset), theirs.get(asset)
        if mine is not None and mine.updated_at > snapshot.taken_at:
            continue
        my_total = None if mine is None else mine.total
        their_total = ZERO if exchange is None else exchange.total
        if (my_total or ZERO) != their_total:
            yield Discrepancy(
                DiscrepancyKind.BALANCE_MISMATCH,
                f"balance:{asset}",
                Scope.ASSET,
                asset,
                my_total,
                their_total,
                f"{asset} total: we hold {my_total or ZERO}, the exchange reports {their_total}",
                balance=exchange,
            )
            continue
        my_available = None if mine is None else mine.available
        their_available = ZERO if exchange is None else exchange.available
        if (my_available or ZERO) != their_available:
            yield Discrepancy(
                DiscrepancyKind.BALANCE_MISMATCH,
                f"balance:{asset}:available",
                Scope.ASSET,
                asset,
                my_available,
                their_available,
                f"{asset} available: we hold {my_available or ZERO}, the exchange reports {their_available}",
                balance=exchange,
            )


# --- orders and fills ----------------------------------------------------------------------------------


def _latest_reports(orders: Iterable[Order]) -> dict[str, Order]:
    """The exchange's orders by exchange id; of two reports of one order, the closed or the later one."""
    latest: dict[str, Order] = {}
    for order in orders:
        key = order.order_id
        seen = latest.get(key)
        if seen is None or (order.status.is_terminal, order.updated_at) > (
            seen.status.is_terminal,
            seen.updated_at,
        ):
            latest[key] = order
    return latest


def _comparable_status(status: OrderStatus, filled: Decimal) -> OrderStatus:
    """`new` with fills means the same as `partially_filled` (both: open); compare them as one."""
    return OrderStatus.PARTIALLY_FILLED if status is OrderStatus.NEW and filled > 0 else status


BY_TIME = attrgetter("timestamp", "exec_id")
"""Fills in the order they happened (ties by exec id)."""


def _order_discrepancies(internal: InternalState, snapshot: ExchangeSnapshot) -> list[Discrepancy]:
    by_exchange_id: dict[str, Order] = {}
    by_client_id: dict[str, Order] = {}
    for order in internal.orders:
        if order.exchange_order_id is not None:
            by_exchange_id[order.exchange_order_id] = order
        by_client_id[order.client_order_id] = order
    known_fills = {execution.exec_id for execution in internal.executions}
    trades_by_order: dict[str, list[Execution]] = defaultdict(list)
    for trade in snapshot.trades:
        trades_by_order[trade.order_id].append(trade)
    reports = _latest_reports(snapshot.orders)
    found: list[Discrepancy] = []
    matched: set[str] = set()
    taken_at = snapshot.taken_at
    for order_id in sorted(reports.keys() | trades_by_order.keys()):
        report = reports.get(order_id)
        ours = by_exchange_id.get(order_id)
        if ours is None and report is not None:
            candidate = by_client_id.get(report.client_order_id)
            if candidate is not None and candidate.exchange_order_id in (None, order_id):
                ours = candidate
        trades = trades_by_order.get(order_id, [])
        if ours is None:
            found += _unknown_order(order_id, report, sorted(trades, key=BY_TIME))
            continue
        matched.add(ours.client_order_id)
        if ours.updated_at > taken_at:
            continue
        missing = [t for t in trades if t.exec_id not in known_fills and t.exec_id not in ours.exec_ids]
        if (
            not missing
            and report is not None
            and report.status == ours.status
            and report.filled_quantity == ours.filled_quantity
            and report.quantity == ours.quantity
        ):
            continue  # the common case, decided without building anything
        missing.sort(key=BY_TIME)
        found += _known_order(order_id, ours, report, missing)
    for order in internal.orders:
        if (
            order.status.is_open
            and order.client_order_id not in matched
            and order.updated_at <= snapshot.taken_at
        ):
            found.append(_missing_on_exchange(order))
    return found


def _unknown_order(order_id: str, report: Order | None, trades: list[Execution]) -> list[Discrepancy]:
    if report is None:
        # Fills of an order the exchange could not show us: nothing to adopt them into.
        return [
            Discrepancy(
                DiscrepancyKind.MISSING_FILL,
                f"fill:{trade.exec_id}",
                Scope.PAIR,
                trade.symbol,
                None,
                trade.quantity,
                f"fill {trade.exec_id} of {trade.quantity} {trade.symbol} belongs to order {order_id}, "
                "which neither we nor the exchange's order queries know",
                correctable=False,
                fills=(trade,),
            )
            for trade in trades
        ]
    exposure = report.quantity if report.status.is_open else report.filled_quantity
    if exposure == 0:
        return []  # closed without a fill: it never touched a balance or a position
    return [
        Discrepancy(
            DiscrepancyKind.UNKNOWN_EXCHANGE_ORDER,
            f"order:{order_id}",
            Scope.PAIR,
            report.symbol,
            None,
            exposure,
            f"the exchange has {report.status.value} {report.side.value} order {order_id} "
            f"({report.filled_quantity}/{report.quantity} {report.symbol} filled) that we did not place",
            exchange_order=report,
            fills=tuple(trades),
        )
    ]


def _known_order(
    order_id: str, ours: Order, report: Order | None, missing: list[Execution]
) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    filled = ours.filled_quantity
    fill_subjects: list[str] = []
    for trade in missing:
        fill_subjects.append(f"fill:{trade.exec_id}")
        found.append(
            Discrepancy(
                DiscrepancyKind.MISSING_FILL,
                fill_subjects[-1],
                Scope.PAIR,
                ours.symbol,
                filled,
                filled + trade.quantity,
                f"fill {trade.exec_id} of {trade.quantity} {ours.symbol} at {trade.price} on order {order_id} "
                "is in the exchange's trade history and not in ours",
                internal_order=ours,
                fills=(trade,),
            )
        )
        filled += trade.quantity
    if report is None:
        return found
    quantity_ok = True
    if report.quantity != ours.quantity:
        found.append(
            Discrepancy(
                DiscrepancyKind.QUANTITY_MISMATCH,
                f"order:{order_id}:quantity",
                Scope.PAIR,
                ours.symbol,
                ours.quantity,
                report.quantity,
                f"order {order_id} is for {ours.quantity} here and {report.quantity} on the exchange (amended)",
                correctable=report.quantity >= filled and report.quantity >= report.filled_quantity,
                exchange_order=report,
                internal_order=ours,
            )
        )
    if filled != report.filled_quantity:
        quantity_ok = False
        found.append(
            Discrepancy(
                DiscrepancyKind.QUANTITY_MISMATCH,
                f"order:{order_id}:filled",
                Scope.PAIR,
                ours.symbol,
                filled,
                report.filled_quantity,
                f"order {order_id}: the exchange reports {report.filled_quantity} filled; our fills and those "
                f"in its trade history make {filled}. The fills that differ are not available to import",
                correctable=False,
                exchange_order=report,
                internal_order=ours,
            )
        )
    projected = ours.status
    if missing and not projected.is_terminal:
        quantity = report.quantity
        projected = OrderStatus.FILLED if filled == quantity else OrderStatus.PARTIALLY_FILLED
    mine = _comparable_status(projected, filled)
    theirs = _comparable_status(report.status, report.filled_quantity)
    unacknowledged = theirs is OrderStatus.PENDING_NEW
    if mine != theirs and not unacknowledged:
        found.append(
            Discrepancy(
                DiscrepancyKind.STATUS_MISMATCH,
                f"order:{order_id}",
                Scope.PAIR,
                ours.symbol,
                filled,
                report.filled_quantity,
                f"order {order_id} is {mine.value} here and {theirs.value} on the exchange",
                correctable=quantity_ok and can_transition(projected, report.status),
                depends_on=tuple(fill_subjects),
                exchange_order=report,
                internal_order=ours,
            )
        )
    return found


def _missing_on_exchange(order: Order) -> Discrepancy:
    return Discrepancy(
        DiscrepancyKind.ORDER_MISSING_ON_EXCHANGE,
        f"order:{order.order_id}",
        Scope.PAIR,
        order.symbol,
        order.remaining_quantity,
        None,
        f"our {order.status.value} order {order.order_id} ({order.remaining_quantity} {order.symbol} open) "
        "is unknown to the exchange",
        internal_order=order,
    )


# --- positions -------------------------------------------------------------------------------------------


def _position_discrepancies(internal: InternalState) -> list[Discrepancy]:
    expected = replay_positions(internal.executions)
    found: list[Discrepancy] = []
    for symbol in sorted(internal.positions.keys() | expected.keys()):
        stored = internal.positions.get(symbol)
        reference = expected.get(symbol)
        quantity = ZERO if reference is None else reference.quantity
        cost = ZERO if reference is None else reference.average_cost
        my_quantity = None if stored is None else stored.quantity
        my_cost = None if stored is None else stored.average_cost
        quantity_subject, cost_subject = f"position:{symbol}", f"cost_basis:{symbol}"
        differs_quantity = (my_quantity or ZERO) != quantity
        differs_cost = (my_cost or ZERO) != cost
        if differs_quantity:
            found.append(
                Discrepancy(
                    DiscrepancyKind.QUANTITY_MISMATCH,
                    quantity_subject,
                    Scope.PAIR,
                    symbol,
                    my_quantity,
                    quantity,
                    f"position {symbol} is {my_quantity or ZERO} here; our fills add up to {quantity}",
                    depends_on=(cost_subject,) if differs_cost else (),
                    position=reference,
                )
            )
        if differs_cost:
            found.append(
                Discrepancy(
                    DiscrepancyKind.COST_BASIS_MISMATCH,
                    cost_subject,
                    Scope.PAIR,
                    symbol,
                    my_cost,
                    cost,
                    f"position {symbol} has average cost {my_cost or ZERO} here; our fills give {cost}",
                    depends_on=(quantity_subject,) if differs_quantity else (),
                    position=reference,
                )
            )
    return found

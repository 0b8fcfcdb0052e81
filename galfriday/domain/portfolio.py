"""The portfolio: balances per asset (total, reserved by open orders, available), spot positions per pair from
fills (average cost, realized P&L in the quote currency), fees in their own currency, unrealized P&L from marks.

A `Portfolio` is a value changed by `apply_fill` (idempotent per exec id) and `track_order` (an order placed,
amended, partly filled, canceled: its reservation follows its remaining quantity, and a closed order reserves
nothing). `replay_positions` rebuilds positions from a set of fills in time order; reconciliation uses it as the
reference for stored positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import attrs
from attrs import field, frozen

from galfriday.domain.amounts import ZERO, amount, non_negative
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.instruments import Symbol, asset_code
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.positions import Position
from galfriday.errors import InvalidValueError

_BY_TIME = attrgetter("timestamp", "exec_id")


def replay_positions(executions: Iterable[Execution]) -> dict[str, Position]:
    """Positions from fills applied in (timestamp, exec id) order, a repeated exec id once.

    Equal to folding `Position.apply_fill` over the same order, written out with plain locals: reconciliation
    replays every fill ever stored, and building an attrs instance per fill would dominate its cost.
    """
    seen: set[str] = set()
    state: dict[str, list[Any]] = {}  # symbol -> [quantity, average cost, realized, updated at]
    for execution in sorted(executions, key=_BY_TIME):
        if execution.exec_id in seen:
            continue
        seen.add(execution.exec_id)
        entry = state.get(execution.symbol)
        if entry is None:
            entry = state[execution.symbol] = [ZERO, ZERO, ZERO, execution.timestamp]
        quantity, average, realized, _ = entry
        signed = execution.quantity if execution.side is OrderSide.BUY else -execution.quantity
        price = execution.price
        if quantity == 0 or (quantity > 0) == (signed > 0):
            new_quantity = quantity + signed
            average = (abs(quantity) * average + abs(signed) * price) / abs(new_quantity)
        else:
            closing = min(abs(signed), abs(quantity))
            direction = 1 if quantity > 0 else -1
            realized = realized + closing * (price - average) * direction
            new_quantity = quantity + signed
            if new_quantity == 0:
                average = ZERO
            elif (new_quantity > 0) != (quantity > 0):
                average = price
        entry[0], entry[1], entry[2], entry[3] = new_quantity, average, realized, execution.timestamp
    return {
        symbol: Position(symbol, quantity, average, realized, at)
        for symbol, (quantity, average, realized, at) in state.items()
    }


def reservation(order: Order, fee_rate: Decimal = ZERO) -> tuple[str, Decimal] | None:
    """(asset, amount) an open order holds back: a sell its remaining base quantity, a limit buy its remaining
    quantity at the limit price (plus `fee_rate` of it). A market buy's cost is not known in advance: None."""
    if not order.status.is_open or order.remaining_quantity == 0:
        return None
    pair = Symbol.parse(order.symbol)
    if order.side is OrderSide.SELL:
        return pair.base, order.remaining_quantity
    if order.order_type is OrderType.LIMIT and order.limit_price is not None:
        return pair.quote, order.remaining_quantity * order.limit_price * (1 + fee_rate)
    return None


@frozen
class Holding:
    """One asset: what we own (`total`), what open orders hold back (`reserved`), and the rest (`available`)."""

    asset: str
    total: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.total - self.reserved


def _totals(value: Mapping[str, object]) -> dict[str, Decimal]:
    return {asset_code(asset): amount(f"totals[{asset}]")(v) for asset, v in value.items()}


@frozen
class Portfolio:
    """Holdings, open orders, positions and fees paid, kept from fills and order updates."""

    totals: dict[str, Decimal] = field(factory=dict, converter=_totals)
    open_orders: dict[str, Order] = field(factory=dict)
    """Open orders by client order id."""
    positions: dict[str, Position] = field(factory=dict)
    fees_paid: dict[str, Decimal] = field(factory=dict)
    """Fees by the currency they were charged in (never converted)."""
    applied: frozenset[str] = frozenset()
    """Exec ids already applied: a fill delivered twice counts once."""
    fee_rate: Decimal = field(default=ZERO, converter=amount("fee_rate", non_negative))  # type: ignore[misc]
    """Added to a limit buy's reservation, as exchanges hold back the fee too."""

    def track_order(self, order: Order) -> Portfolio:
        """Start, update (an amendment, a fill reported on the order) or stop (closed) holding for `order`."""
        orders = dict(self.open_orders)
        if order.status.is_open and order.remaining_quantity > 0:
            orders[order.client_order_id] = order
        else:
            orders.pop(order.client_order_id, None)
        return attrs.evolve(self, open_orders=orders)

    def apply_fill(self, execution: Execution) -> Portfolio:
        """Move base and quote by the fill, charge its fee in its own currency, move the position, and reduce
        the tracked order's remaining quantity. A fill already applied changes nothing."""
        if execution.exec_id in self.applied:
            return self
        pair = Symbol.parse(execution.symbol)
        sign = execution.side.sign
        totals = dict(self.totals)
        totals[pair.base] = totals.get(pair.base, ZERO) + sign * execution.quantity
        totals[pair.quote] = totals.get(pair.quote, ZERO) - sign * execution.cost
        fees = dict(self.fees_paid)
        if execution.fee:
            totals[execution.fee_currency] = totals.get(execution.fee_currency, ZERO) - execution.fee
            fees[execution.fee_currency] = fees.get(execution.fee_currency, ZERO) + execution.fee
        positions = dict(self.positions)
        position = positions.get(execution.symbol) or Position.flat(execution.symbol, execution.timestamp)
        positions[execution.symbol] = position.apply_fill(execution)
        changed = attrs.evolve(
            self,
            totals=totals,
            positions=positions,
            fees_paid=fees,
            applied=self.applied | {execution.exec_id},
        )
        order = self._order_of(execution)
        return changed if order is None else changed.track_order(order.apply_execution(execution).order)

    def _order_of(self, execution: Execution) -> Order | None:
        if execution.client_order_id is not None and execution.client_order_id in self.open_orders:
            return self.open_orders[execution.client_order_id]
        for order in self.open_orders.values():
            if order.exchange_order_id == execution.order_id:
                return order
        return None

    def reserved(self) -> dict[str, Decimal]:
        """What open orders hold back, per asset."""
        held: dict[str, Decimal] = {}
        for order in self.open_orders.values():
            reserved = reservation(order, self.fee_rate)
            if reserved is not None:
                asset, value = reserved
                held[asset] = held.get(asset, ZERO) + value
        return held

    def holding(self, asset: str) -> Holding:
        return Holding(asset, self.totals.get(asset, ZERO), self.reserved().get(asset, ZERO))

    def holdings(self) -> list[Holding]:
        """Every asset owned or reserved, by asset code."""
        reserved = self.reserved()
        assets = sorted(self.totals.keys() | reserved.keys())
        return [Holding(a, self.totals.get(a, ZERO), reserved.get(a, ZERO)) for a in assets]

    def realized_pnl(self) -> dict[str, Decimal]:
        """Realized P&L per pair, in its quote currency, before fees (fees are in `fees_paid`)."""
        return {symbol: position.realized_pnl for symbol, position in sorted(self.positions.items())}

    def unrealized_pnl(self, marks: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """Unrealized P&L per pair at the mark prices given; a pair with a position and no mark is refused."""
        result: dict[str, Decimal] = {}
        for symbol, position in sorted(self.positions.items()):
            if position.quantity == 0:
                continue
            if symbol not in marks:
                raise InvalidValueError("marks", sorted(marks), f"a mark price for {symbol}")
            result[symbol] = position.unrealized_pnl(marks[symbol])
        return result

    def as_of(self) -> datetime | None:
        """The latest fill time the positions reflect, None before any fill."""
        times = [position.updated_at for position in self.positions.values()]
        return max(times) if times else None

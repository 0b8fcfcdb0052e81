"""The order aggregate: immutable values changed only through `apply_execution` and `apply_status`.

Both return an `OrderChange` (the new order and the domain events the change produced). Applying the same
execution twice changes nothing; fills commute, so the state after a set of executions does not depend on
their delivery order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs
from attrs import field, frozen

from galfriday.domain.amounts import ZERO, amount, non_negative, optional_amount, positive
from galfriday.domain.events import DomainEvent, ExecutionApplied, OrderStatusChanged
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.instruments import parse_symbol
from galfriday.domain.order_status import OrderStatus, check_transition
from galfriday.domain.timestamps import to_utc
from galfriday.errors import ExecutionMismatchError, InvalidValueError, OverfillError


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    GTD = "gtd"


def _fees(value: Any) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise InvalidValueError("fees", value, "a mapping of currency to Decimal")
    return {str(k): non_negative(f"fees[{k}]", v) for k, v in value.items()}


def _exec_ids(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise InvalidValueError("exec_ids", value, "a collection of execution ids, not a single string")
    return frozenset(value)


# Open statuses that may arrive late, after the order has already closed on the exchange (a REST answer
# racing the WebSocket); `rejected` is not among the closed statuses: a rejected order was never open.
_LATE_OPEN_REPORTS = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED})
_CLOSED_AFTER_OPEN = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED})
_BEFORE_ACKNOWLEDGED = frozenset({OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN})
"""Statuses a `pending_new` report can still move from; after any other it is a late report."""


@frozen(eq=True)
class Order:
    """An order as we track it. Construct with `Order.create`; change with `apply_*`."""

    client_order_id: str
    symbol: str = field(converter=parse_symbol)
    side: OrderSide = field(converter=OrderSide)
    order_type: OrderType = field(converter=OrderType)
    quantity: Decimal = field(converter=amount("quantity", positive))  # type: ignore[misc]
    created_at: datetime = field(converter=to_utc)
    updated_at: datetime = field(converter=to_utc)
    limit_price: Decimal | None = field(default=None, converter=optional_amount("limit_price"))  # type: ignore[misc]
    time_in_force: TimeInForce = field(default=TimeInForce.GTC, converter=TimeInForce)
    exchange_order_id: str | None = None
    status: OrderStatus = field(default=OrderStatus.PENDING_NEW, converter=OrderStatus)
    filled_quantity: Decimal = field(default=ZERO, converter=amount("filled_quantity", non_negative))  # type: ignore[misc]
    filled_cost: Decimal = field(default=ZERO, converter=amount("filled_cost", non_negative))  # type: ignore[misc]
    fees: dict[str, Decimal] = field(factory=dict, converter=_fees)
    closed_filled_quantity: Decimal | None = field(
        default=None,
        converter=optional_amount("closed_filled_quantity"),  # type: ignore[misc]
    )
    """The cumulative quantity the exchange reported when the order closed; fills beyond it are impossible."""
    exec_ids: frozenset[str] = field(factory=frozenset, converter=_exec_ids)
    external: bool = False
    """Adopted from the exchange rather than placed by us."""
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.client_order_id:
            raise InvalidValueError("client_order_id", self.client_order_id, "a non-empty string")
        if self.order_type is OrderType.LIMIT and self.limit_price is None:
            raise InvalidValueError("limit_price", None, "a price for a limit order")
        if self.limit_price is not None and self.limit_price <= 0:
            raise InvalidValueError("limit_price", self.limit_price, "a Decimal greater than zero")
        if self.filled_quantity > self.quantity:
            raise InvalidValueError(
                "filled_quantity", self.filled_quantity, f"at most quantity {self.quantity}"
            )

    @classmethod
    def create(
        cls,
        *,
        client_order_id: str,
        symbol: str,
        side: OrderSide | str,
        order_type: OrderType | str,
        quantity: Decimal | int | str,
        at: datetime,
        limit_price: Decimal | int | str | None = None,
        time_in_force: TimeInForce | str = TimeInForce.GTC,
    ) -> Order:
        """A new order, `pending_new` until the exchange acknowledges it."""
        return cls(
            client_order_id=client_order_id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            quantity=quantity,
            created_at=at,
            updated_at=at,
            limit_price=limit_price,
            time_in_force=time_in_force,
        )

    # --- derived values -----------------------------------------------------------------------------

    @property
    def order_id(self) -> str:
        """The best identifier we have: the exchange's id once known, else our client id."""
        return self.exchange_order_id or self.client_order_id

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    @property
    def average_price(self) -> Decimal | None:
        return None if self.filled_quantity == 0 else self.filled_cost / self.filled_quantity

    @property
    def fillable_limit(self) -> Decimal:
        """The most this order can ever be filled: its quantity, or what it had when it closed."""
        return self.quantity if self.closed_filled_quantity is None else self.closed_filled_quantity

    # --- changes ------------------------------------------------------------------------------------

    def apply_execution(self, execution: Execution) -> OrderChange:
        """Apply a fill; a repeated `exec_id` changes nothing; an overfill raises `OverfillError`."""
        if execution.exec_id in self.exec_ids:
            return OrderChange(self, ())
        self._check_belongs(execution)
        filled = self.filled_quantity + execution.quantity
        if filled > self.fillable_limit:
            raise OverfillError(
                self.order_id,
                execution.exec_id,
                self.fillable_limit,
                self.filled_quantity,
                execution.quantity,
            )
        fees = dict(self.fees)
        if execution.fee:
            fees[execution.fee_currency] = fees.get(execution.fee_currency, ZERO) + execution.fee
        status = self.status
        if not status.is_terminal:
            status = OrderStatus.FILLED if filled == self.quantity else OrderStatus.PARTIALLY_FILLED
        changed = attrs.evolve(
            self,
            exchange_order_id=self.exchange_order_id or execution.order_id,
            filled_quantity=filled,
            filled_cost=self.filled_cost + execution.cost,
            fees=fees,
            exec_ids=self.exec_ids | {execution.exec_id},
            status=status,
            updated_at=max(self.updated_at, execution.timestamp),
        )
        events: list[DomainEvent] = [
            ExecutionApplied(
                execution=execution,
                client_order_id=self.client_order_id,
                filled_quantity=filled,
                status=status,
                occurred_at=execution.timestamp,
            )
        ]
        if status != self.status:
            events.append(changed._status_event(self.status, execution.timestamp))
        return OrderChange(changed, tuple(events))

    def apply_status(
        self,
        status: OrderStatus | str,
        at: datetime,
        *,
        filled_quantity: Decimal | None = None,
        exchange_order_id: str | None = None,
        reason: str | None = None,
    ) -> OrderChange:
        """Apply a status the exchange reported (ack, cancel, expiry, reject) or `unknown` on a network error.

        `filled_quantity` is the exchange's cumulative fill at that moment. For a closing status it caps later
        fills: executions that arrive after the close are accepted up to it, and refused beyond it. `new`
        reported for an order that already has fills keeps it `partially_filled`: both mean "open". An open
        status (`new`, `partially_filled`) reported after the order filled, was canceled or expired is a late
        report: it may add the exchange id and changes nothing else, so the result does not depend on
        whether the acknowledgement or the fills arrive first. Likewise `pending_new` reported for an order
        the exchange already acknowledged (a REST backfill can get ahead of the stream) is a late report.
        `unknown` after a definitive close keeps the close: not learning an outcome never overrides one the
        exchange already gave.
        """
        requested = OrderStatus(status)
        late_open = requested in _LATE_OPEN_REPORTS and self.status in _CLOSED_AFTER_OPEN
        late_pending = requested is OrderStatus.PENDING_NEW and self.status not in _BEFORE_ACKNOWLEDGED
        unknown_after_close = requested is OrderStatus.UNKNOWN and self.status.is_terminal
        if late_open or late_pending or unknown_after_close:
            requested = self.status
        elif requested is OrderStatus.NEW and self.filled_quantity > 0:
            requested = OrderStatus.PARTIALLY_FILLED
        check_transition(self.order_id, self.status, requested)
        reported = None if filled_quantity is None else non_negative("filled_quantity", filled_quantity)
        closed = self.closed_filled_quantity
        if requested.is_terminal and not self.status.is_terminal:
            closed = self._closing_quantity(requested, reported)
        if requested == self.status and exchange_order_id in (None, self.exchange_order_id):
            return OrderChange(self, ())
        changed = attrs.evolve(
            self,
            status=requested,
            exchange_order_id=self.exchange_order_id or exchange_order_id,
            closed_filled_quantity=closed,
            updated_at=max(self.updated_at, to_utc(at)),
            reason=reason if reason is not None else self.reason,
        )
        if requested == self.status:
            return OrderChange(changed, ())
        return OrderChange(changed, (changed._status_event(self.status, to_utc(at)),))

    def _closing_quantity(self, status: OrderStatus, reported: Decimal | None) -> Decimal:
        if status is OrderStatus.FILLED:
            return self.quantity
        if status is OrderStatus.REJECTED:
            limit = ZERO
        else:
            limit = self.filled_quantity if reported is None else reported
        if limit < self.filled_quantity or limit > self.quantity:
            raise OverfillError(self.order_id, f"<{status.value}>", limit, self.filled_quantity, ZERO)
        return limit

    def _check_belongs(self, execution: Execution) -> None:
        if self.exchange_order_id is not None and execution.order_id != self.exchange_order_id:
            raise ExecutionMismatchError(
                self.order_id, execution.exec_id, "order_id", self.exchange_order_id, execution.order_id
            )
        if execution.client_order_id is not None and execution.client_order_id != self.client_order_id:
            raise ExecutionMismatchError(
                self.order_id,
                execution.exec_id,
                "client_order_id",
                self.client_order_id,
                execution.client_order_id,
            )
        if execution.symbol != self.symbol:
            raise ExecutionMismatchError(
                self.order_id, execution.exec_id, "symbol", self.symbol, execution.symbol
            )
        if execution.side != self.side:
            raise ExecutionMismatchError(self.order_id, execution.exec_id, "side", self.side, execution.side)

    def _status_event(self, previous: OrderStatus, at: datetime) -> OrderStatusChanged:
        return OrderStatusChanged(
            client_order_id=self.client_order_id,
            exchange_order_id=self.exchange_order_id,
            symbol=self.symbol,
            previous=previous,
            current=self.status,
            filled_quantity=self.filled_quantity,
            occurred_at=at,
            reason=self.reason,
        )


@frozen
class OrderChange:
    """The result of applying something to an order: the new order and what happened."""

    order: Order
    events: tuple[DomainEvent, ...]

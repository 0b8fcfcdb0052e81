"""The order status state machine.

`unknown` means we could not learn the outcome (a network error); it is never the same as "not found", and it
resolves to whatever the exchange later reports.
"""

from __future__ import annotations

from enum import StrEnum

from galfriday.errors import InvalidOrderTransition


class OrderStatus(StrEnum):
    PENDING_NEW = "pending_new"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_open(self) -> bool:
        """On the book, or possibly so: anything not terminal."""
        return self not in TERMINAL


TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED})

_S = OrderStatus
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING_NEW: frozenset(
        {_S.NEW, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED, _S.REJECTED, _S.UNKNOWN}
    ),
    _S.NEW: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED, _S.UNKNOWN}),
    _S.PARTIALLY_FILLED: frozenset({_S.FILLED, _S.CANCELED, _S.EXPIRED, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.NEW, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED, _S.REJECTED}),
    _S.FILLED: frozenset(),
    _S.CANCELED: frozenset(),
    _S.EXPIRED: frozenset(),
    _S.REJECTED: frozenset(),
}


def can_transition(current: OrderStatus, requested: OrderStatus) -> bool:
    """Whether the state machine allows `current -> requested` (staying put is always allowed)."""
    return current == requested or requested in ALLOWED[current]


def check_transition(order_id: str, current: OrderStatus, requested: OrderStatus) -> None:
    """Raise `InvalidOrderTransition` unless `current -> requested` is allowed."""
    if not can_transition(current, requested):
        raise InvalidOrderTransition(order_id, current.value, requested.value)

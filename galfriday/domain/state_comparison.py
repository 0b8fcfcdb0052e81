"""Comparing two views of the same account's trading state: what the store holds after a live session, and
what a replay of the raw journal rebuilds. Pure: both sides are plain snapshots taken by the caller.

What is compared, and why only that:
- orders, keyed by exchange order id: status, filled quantity and filled cost (the journal knows nothing of
  who placed an order, so `external` and our own bookkeeping fields are left out). A live order without an
  exchange id was never acknowledged, so no journal can hold it: it is counted, not compared;
- executions, keyed by exec id: order, symbol, side, quantity, price, fee and its currency (REST and the
  stream give the same fill different times and client ids, so those are left out);
- positions, keyed by symbol: quantity, average cost and realised P&L;
- balances, keyed by asset: the total (what is *available* depends on the source: REST subtracts what open
  orders hold, the stream does not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from attrs import field, frozen

from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position

__all__ = [
    "MISSING",
    "UNEXPECTED",
    "ComparisonScope",
    "StateDifference",
    "StateKind",
    "TradingState",
    "compare_states",
    "order_key",
    "unacknowledged_orders",
]

T = TypeVar("T")


class StateKind(StrEnum):
    ORDER = "order"
    EXECUTION = "execution"
    POSITION = "position"
    BALANCE = "balance"


MISSING = "missing"
"""The `field` of a difference where the replay lacks something the live store holds."""
UNEXPECTED = "unexpected"
"""The `field` of a difference where the replay holds something the live store lacks."""


def _orders(items: Iterable[Order]) -> tuple[Order, ...]:
    return tuple(items)


def _executions(items: Iterable[Execution]) -> tuple[Execution, ...]:
    return tuple(items)


def _positions(items: Iterable[Position]) -> tuple[Position, ...]:
    return tuple(items)


def _balances(items: Iterable[Balance]) -> tuple[Balance, ...]:
    return tuple(items)


@frozen
class TradingState:
    """A snapshot of one store's orders, executions, positions and balances."""

    orders: tuple[Order, ...] = field(default=(), converter=_orders)
    executions: tuple[Execution, ...] = field(default=(), converter=_executions)
    positions: tuple[Position, ...] = field(default=(), converter=_positions)
    balances: tuple[Balance, ...] = field(default=(), converter=_balances)


@frozen
class ComparisonScope:
    """What a partial replay can reproduce. A replay from the start of the journal compares everything.

    A replay from `executions_since` on compares only executions at or after that instant, only the orders
    and balances the replay saw (an asset's snapshot may be before the window) and, of those, only orders
    without a fill before it; no positions (they are sums over every fill ever). Journal entries are chosen
    by receive time, executions by the exchange's time: a fill stamped just before `executions_since` but
    received after it is replayed and not compared.
    """

    executions_since: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.executions_since is None


@frozen
class StateDifference:
    """One way the replayed state differs from the live one; `live` and `replayed` are shown as text."""

    kind: StateKind
    key: str
    field: str
    live: str | None
    replayed: str | None

    def describe(self) -> str:
        if self.field == MISSING:
            return f"{self.kind.value} {self.key}: in the live store, not rebuilt by the replay"
        if self.field == UNEXPECTED:
            return f"{self.kind.value} {self.key}: rebuilt by the replay, not in the live store"
        return f"{self.kind.value} {self.key}: {self.field} is {self.live} live, {self.replayed} replayed"


def order_key(order: Order) -> str:
    return order.exchange_order_id or f"client:{order.client_order_id}"


_ORDER_FIELDS: tuple[tuple[str, Callable[[Order], object]], ...] = (
    ("status", lambda o: o.status.value),
    ("filled_quantity", lambda o: o.filled_quantity),
    ("filled_cost", lambda o: o.filled_cost),
)
_EXECUTION_FIELDS: tuple[tuple[str, Callable[[Execution], object]], ...] = (
    ("order_id", lambda e: e.order_id),
    ("symbol", lambda e: e.symbol),
    ("side", lambda e: e.side.value),
    ("quantity", lambda e: e.quantity),
    ("price", lambda e: e.price),
    ("fee", lambda e: e.fee),
    ("fee_currency", lambda e: e.fee_currency),
)
_POSITION_FIELDS: tuple[tuple[str, Callable[[Position], object]], ...] = (
    ("quantity", lambda p: p.quantity),
    ("average_cost", lambda p: p.average_cost),
    ("realized_pnl", lambda p: p.realized_pnl),
)
_BALANCE_FIELDS: tuple[tuple[str, Callable[[Balance], object]], ...] = (("total", lambda b: b.total),)


def compare_states(
    live: TradingState, replayed: TradingState, scope: ComparisonScope | None = None
) -> list[StateDifference]:
    """Every difference, grouped by kind (orders, executions, positions, balances) and sorted by key."""
    scope = scope or ComparisonScope()
    acknowledged = [o for o in live.orders if o.exchange_order_id is not None]
    replayed_orders = _by_key(replayed.orders, order_key)
    live_orders = _by_key(acknowledged, order_key)
    live_executions = _by_key(live.executions, _exec_id)
    replayed_executions = _by_key(replayed.executions, _exec_id)
    since = scope.executions_since
    if since is not None:
        filled_before = {e.order_id for e in live_executions.values() if e.timestamp < since}
        live_orders = {
            key: order
            for key, order in live_orders.items()
            if key in replayed_orders and order.exchange_order_id not in filled_before
        }
        replayed_orders = {
            key: order
            for key, order in replayed_orders.items()
            if key in live_orders or order.exchange_order_id not in filled_before
        }
        live_executions = {k: e for k, e in live_executions.items() if e.timestamp >= since}
        replayed_executions = {k: e for k, e in replayed_executions.items() if e.timestamp >= since}
    differences = _diff(StateKind.ORDER, live_orders, replayed_orders, _ORDER_FIELDS)
    differences += _diff(StateKind.EXECUTION, live_executions, replayed_executions, _EXECUTION_FIELDS)
    if scope.complete:
        differences += _diff(
            StateKind.POSITION,
            _by_key(live.positions, _symbol),
            _by_key(replayed.positions, _symbol),
            _POSITION_FIELDS,
        )
    live_balances = _by_key(live.balances, _asset)
    replayed_balances = _by_key(replayed.balances, _asset)
    if not scope.complete:
        live_balances = {key: b for key, b in live_balances.items() if key in replayed_balances}
    differences += _diff(StateKind.BALANCE, live_balances, replayed_balances, _BALANCE_FIELDS)
    return differences


def unacknowledged_orders(live: TradingState) -> list[Order]:
    """Live orders without an exchange id: never acknowledged, so no journal can hold them."""
    return [o for o in live.orders if o.exchange_order_id is None]


def _exec_id(execution: Execution) -> str:
    return execution.exec_id


def _symbol(position: Position) -> str:
    return position.symbol


def _asset(balance: Balance) -> str:
    return balance.asset


def _by_key(items: Iterable[T], key: Callable[[T], str]) -> dict[str, T]:
    return {key(item): item for item in items}


def _diff(
    kind: StateKind,
    live: Mapping[str, T],
    replayed: Mapping[str, T],
    fields: tuple[tuple[str, Callable[[T], object]], ...],
) -> list[StateDifference]:
    differences: list[StateDifference] = []
    for key in sorted(live.keys() | replayed.keys()):
        ours, theirs = live.get(key), replayed.get(key)
        if theirs is None:
            differences.append(StateDifference(kind, key, MISSING, "present", None))
        elif ours is None:
            differences.append(StateDifference(kind, key, UNEXPECTED, None, "present"))
        else:
            for name, read in fields:
                a, b = read(ours), read(theirs)
                if a != b:
                    differences.append(StateDifference(kind, key, name, _text(a), _text(b)))
    return differences


def _text(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)

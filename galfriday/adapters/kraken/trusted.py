"""Executions and orders built from already-parsed Kraken values, checked here once instead of by converters.

The domain constructors convert and validate every field (about 5 µs for an `Execution`), which alone would
exceed the pipeline's budget per message. These builders apply the same rules with cheaper checks on values
whose types msgspec has already fixed (`Decimal`, aware `datetime`, `str`), and produce objects equal to what
the constructors produce (tests compare them field by field). If the domain classes gain a field, importing
this module fails, so the builders cannot silently fall behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal

import attrs

from galfriday.domain.events import ExecutionReported, OrderReported
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import asset_code, parse_symbol
from galfriday.domain.market_data import BookLevel, BookUpdate
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import InvalidValueError

__all__ = ["new_book_update", "new_execution", "new_execution_reported", "new_order", "new_order_reported"]

_new = object.__new__
_SIDES = {"buy": OrderSide.BUY, "sell": OrderSide.SELL}
_TIME_IN_FORCE = {member.value: member for member in TimeInForce} | {
    member.value.upper(): member for member in TimeInForce
}
_ASSETS: dict[str, str] = {}
_LIMIT = OrderType.LIMIT


def _fields_of(cls: type, expected: tuple[str, ...]) -> tuple[str, ...]:
    actual = tuple(field.name for field in attrs.fields(cls))
    if set(actual) != set(expected):
        raise TypeError(
            f"{cls.__name__} fields are {actual}; the Kraken builders set {expected}: update them"
        )
    return expected


_EXECUTION_FIELDS = _fields_of(
    Execution,
    (
        "exec_id",
        "order_id",
        "symbol",
        "side",
        "quantity",
        "price",
        "timestamp",
        "fee",
        "fee_currency",
        "liquidity",
        "trade_id",
        "client_order_id",
    ),
)
_ORDER_FIELDS = _fields_of(
    Order,
    (
        "client_order_id",
        "symbol",
        "side",
        "order_type",
        "quantity",
        "created_at",
        "updated_at",
        "limit_price",
        "time_in_force",
        "exchange_order_id",
        "status",
        "filled_quantity",
        "filled_cost",
        "fees",
        "closed_filled_quantity",
        "exec_ids",
        "external",
        "reason",
    ),
)


def _positive(name: str, value: Decimal) -> Decimal:
    if value.__class__ is not Decimal or not value.is_finite() or value <= 0:
        raise InvalidValueError(name, value, "a finite Decimal greater than zero")
    return value


def _non_negative(name: str, value: Decimal) -> Decimal:
    if value.__class__ is not Decimal or not value.is_finite() or value < 0:
        raise InvalidValueError(name, value, "a finite Decimal of zero or more")
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.__class__ is not datetime or value.utcoffset() is None:
        raise InvalidValueError("timestamp", value, "a timezone-aware datetime")
    return value.astimezone(UTC)


def _side(value: str) -> OrderSide:
    side = _SIDES.get(value)
    if side is None:
        raise InvalidValueError("side", value, "'buy' or 'sell'")
    return side


def _asset(value: str) -> str:
    code = _ASSETS.get(value)
    if code is None:
        code = asset_code(value)
        if len(_ASSETS) < 4096:
            _ASSETS[value] = code
    return code


def _setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[object, object], None], ...]:
    """The slot descriptors' setters, in `names` order (they bypass the frozen `__setattr__`)."""
    return tuple(getattr(cls, name).__set__ for name in names)


_BOOK_LEVEL_FIELDS = _fields_of(BookLevel, ("price", "quantity"))
_BOOK_UPDATE_FIELDS = _fields_of(BookUpdate, ("symbol", "bids", "asks", "is_snapshot", "timestamp"))
_EXECUTION_SETTERS = _setters(Execution, _EXECUTION_FIELDS)
_BOOK_LEVEL_SETTERS = _setters(BookLevel, _BOOK_LEVEL_FIELDS)
_BOOK_UPDATE_SETTERS = _setters(BookUpdate, _BOOK_UPDATE_FIELDS)
_NO_EXEC_IDS: frozenset[str] = frozenset()
_ORDER_SETTERS = _setters(Order, _ORDER_FIELDS)
_ORDER_REPORTED_SETTERS = _setters(
    OrderReported, _fields_of(OrderReported, ("order", "occurred_at", "snapshot"))
)
_EXECUTION_REPORTED_SETTERS = _setters(
    ExecutionReported, _fields_of(ExecutionReported, ("execution", "snapshot"))
)


def new_order_reported(order: Order, occurred_at: datetime, snapshot: bool) -> OrderReported:
    """An `OrderReported` equal to `OrderReported(order, occurred_at, snapshot)`, without its converter."""
    set_order, set_occurred_at, set_snapshot = _ORDER_REPORTED_SETTERS
    event: OrderReported = _new(OrderReported)
    set_order(event, order)
    set_occurred_at(event, _utc(occurred_at))
    set_snapshot(event, snapshot)
    return event


def new_execution_reported(execution: Execution, snapshot: bool) -> ExecutionReported:
    """An `ExecutionReported` equal to `ExecutionReported(execution, snapshot)`."""
    set_execution, set_snapshot = _EXECUTION_REPORTED_SETTERS
    event: ExecutionReported = _new(ExecutionReported)
    set_execution(event, execution)
    set_snapshot(event, snapshot)
    return event


def new_execution(
    *,
    exec_id: str,
    order_id: str,
    symbol: str,
    side: str,
    quantity: Decimal,
    price: Decimal,
    timestamp: datetime,
    fee: Decimal,
    fee_currency: str,
    liquidity: Liquidity,
    trade_id: str | None,
    client_order_id: str | None,
) -> Execution:
    """An `Execution` equal to `Execution(...)` with the same arguments, or the same `InvalidValueError`."""
    (
        set_exec_id,
        set_order_id,
        set_symbol,
        set_side,
        set_quantity,
        set_price,
        set_timestamp,
        set_fee,
        set_fee_currency,
        set_liquidity,
        set_trade_id,
        set_client_order_id,
    ) = _EXECUTION_SETTERS
    execution: Execution = _new(Execution)
    set_exec_id(execution, exec_id)
    set_order_id(execution, order_id)
    set_symbol(execution, parse_symbol(symbol))
    set_side(execution, _side(side))
    set_quantity(execution, _positive("quantity", quantity))
    set_price(execution, _positive("price", price))
    set_timestamp(execution, _utc(timestamp))
    set_fee(execution, _non_negative("fee", fee))
    set_fee_currency(execution, _asset(fee_currency))
    set_liquidity(execution, liquidity)
    set_trade_id(execution, trade_id)
    set_client_order_id(execution, client_order_id)
    return execution


def new_order(
    *,
    client_order_id: str,
    symbol: str,
    side: str,
    order_type: OrderType,
    quantity: Decimal,
    created_at: datetime,
    updated_at: datetime,
    limit_price: Decimal | None,
    time_in_force: str,
    exchange_order_id: str,
    status: OrderStatus,
    filled_quantity: Decimal,
    filled_cost: Decimal,
    reason: str | None,
) -> Order:
    """An `Order` equal to `Order(...)` with the same arguments (no fees, no exec ids, not external)."""
    if not client_order_id:
        raise InvalidValueError("client_order_id", client_order_id, "a non-empty string")
    tif = _TIME_IN_FORCE.get(time_in_force)
    if tif is None:
        raise InvalidValueError("time_in_force", time_in_force, "one of gtc, ioc, fok, gtd")
    if order_type is _LIMIT and limit_price is None:
        raise InvalidValueError("limit_price", None, "a price for a limit order")
    quantity = _positive("quantity", quantity)
    filled = _non_negative("filled_quantity", filled_quantity)
    if filled > quantity:
        raise InvalidValueError("filled_quantity", filled, f"at most quantity {quantity}")
    (
        set_client_order_id,
        set_symbol,
        set_side,
        set_order_type,
        set_quantity,
        set_created_at,
        set_updated_at,
        set_limit_price,
        set_time_in_force,
        set_exchange_order_id,
        set_status,
        set_filled_quantity,
        set_filled_cost,
        set_fees,
        set_closed_filled_quantity,
        set_exec_ids,
        set_external,
        set_reason,
    ) = _ORDER_SETTERS
    order: Order = _new(Order)
    set_client_order_id(order, client_order_id)
    set_symbol(order, parse_symbol(symbol))
    set_side(order, _side(side))
    set_order_type(order, order_type)
    set_quantity(order, quantity)
    set_created_at(order, _utc(created_at))
    set_updated_at(order, _utc(updated_at))
    set_limit_price(order, None if limit_price is None else _positive("limit_price", limit_price))
    set_time_in_force(order, tif)
    set_exchange_order_id(order, exchange_order_id)
    set_status(order, status)
    set_filled_quantity(order, filled)
    set_filled_cost(order, _non_negative("filled_cost", filled_cost))
    set_fees(order, {})
    set_closed_filled_quantity(order, None)
    set_exec_ids(order, _NO_EXEC_IDS)
    set_external(order, False)
    set_reason(order, reason)
    return order


def _book_level(price: Decimal, quantity: Decimal) -> BookLevel:
    set_price, set_quantity = _BOOK_LEVEL_SETTERS
    level: BookLevel = _new(BookLevel)
    set_price(level, _positive("price", price))
    set_quantity(level, _non_negative("quantity", quantity))
    return level


def new_book_update(
    *,
    symbol: str,
    bids: Iterable[tuple[Decimal, Decimal]],
    asks: Iterable[tuple[Decimal, Decimal]],
    is_snapshot: bool,
    timestamp: datetime,
) -> BookUpdate:
    """A `BookUpdate` equal to `BookUpdate(...)` with `BookLevel`s made of the `(price, quantity)` pairs."""
    set_symbol, set_bids, set_asks, set_is_snapshot, set_timestamp = _BOOK_UPDATE_SETTERS
    update: BookUpdate = _new(BookUpdate)
    set_symbol(update, parse_symbol(symbol))
    set_bids(update, tuple([_book_level(price, quantity) for price, quantity in bids]))
    set_asks(update, tuple([_book_level(price, quantity) for price, quantity in asks]))
    set_is_snapshot(update, is_snapshot)
    set_timestamp(update, _utc(timestamp))
    return update

"""AddOrder requests from domain orders, checked locally before anything is sent.

The order's `client_order_id` travels as Kraken's `cl_ord_id` (a UUID, 32 hex digits, or up to 18 printable
ASCII characters), so that an order whose placement had no answer can be found again. `userref` is Kraken's
other, numeric, non-unique tag: a signed 32-bit integer, checked wherever one is sent.
"""

from __future__ import annotations

import re
from decimal import Decimal

from galfriday.adapters.kraken.naming import KrakenNames
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import InvalidOrderError, InvalidValueError

__all__ = [
    "USERREF_MAX",
    "USERREF_MIN",
    "add_order_params",
    "check_cl_ord_id",
    "check_userref",
    "wire_decimal",
]

USERREF_MIN = -(2**31)
USERREF_MAX = 2**31 - 1

_LONG_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHORT_UUID = re.compile(r"[0-9a-fA-F]{32}")
_FREE_TEXT = re.compile(r"[\x21-\x7e]{1,18}")
_TIME_IN_FORCE = {TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC"}


def check_cl_ord_id(value: str) -> str:
    """Refuse a client order id Kraken would refuse as `cl_ord_id`."""
    if not any(p.fullmatch(value) for p in (_LONG_UUID, _SHORT_UUID, _FREE_TEXT)):
        raise InvalidValueError(
            "client_order_id",
            value,
            "a UUID, 32 hex digits, or 1-18 printable ASCII characters (Kraken's cl_ord_id)",
        )
    return value


def check_userref(value: int) -> int:
    """Refuse a `userref` outside Kraken's signed 32-bit range."""
    if isinstance(value, bool) or not isinstance(value, int) or not USERREF_MIN <= value <= USERREF_MAX:
        raise InvalidValueError("userref", value, f"an integer from {USERREF_MIN} to {USERREF_MAX}")
    return value


def wire_decimal(value: Decimal) -> str:
    """A Decimal as Kraken expects it: plain digits, never an exponent (`1E-8` → `0.00000001`)."""
    return format(value, "f")


def add_order_params(order: Order, names: KrakenNames, *, validate: bool = False) -> list[tuple[str, str]]:
    """The AddOrder form fields (without the nonce); refuses locally what Kraken would refuse."""
    try:
        check_cl_ord_id(order.client_order_id)
        pair = names.pair(order.symbol)
        trading = pair.trading_pair()
        trading.check_quantity(order.quantity)
        if order.limit_price is not None:
            trading.check_price(order.limit_price)
    except InvalidValueError as exc:
        raise InvalidOrderError(f"Kraken AddOrder refused before sending: {exc}") from exc
    if order.time_in_force not in _TIME_IN_FORCE:
        raise InvalidOrderError(
            f"Kraken AddOrder refused before sending: time in force {order.time_in_force.value!r} "
            "is not supported here; use gtc or ioc"
        )
    params = [
        ("pair", pair.altname),
        ("type", order.side.value),
        ("ordertype", order.order_type.value),
        ("volume", wire_decimal(order.quantity)),
    ]
    if order.order_type is OrderType.LIMIT and order.limit_price is not None:
        params.append(("price", wire_decimal(order.limit_price)))
    params.append(("timeinforce", _TIME_IN_FORCE[order.time_in_force]))
    params.append(("cl_ord_id", order.client_order_id))
    if validate:
        params.append(("validate", "true"))
    return params

"""Order entry parameters, from REST AddOrder and from WebSocket v2 add_order, checked the way Kraken checks
them. The simulator trades `market` and `limit` orders; other Kraken order types are refused as invalid.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator.catalog import Catalog
from galfriday.testing.kraken_simulator.errors import KrakenError, invalid_arguments
from galfriday.testing.kraken_simulator.params import Params
from galfriday.testing.kraken_simulator.records import OrderRequest
from galfriday.testing.kraken_simulator.wire import from_unix

INT32 = (-(2**31), 2**31 - 1)
ORDER_TYPES = ("market", "limit")
OFLAGS = frozenset({"post", "fcib", "fciq", "nompp", "viqc"})
_LONG_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHORT_UUID = re.compile(r"[0-9a-fA-F]{32}")
_FREE_TEXT = re.compile(r"[\x20-\x7e]{1,18}")


def check_cl_ord_id(value: str) -> str:
    """A long UUID, a 32-hex short UUID, or free text of at most 18 printable ASCII characters."""
    if not any(pattern.fullmatch(value) for pattern in (_LONG_UUID, _SHORT_UUID, _FREE_TEXT)):
        raise invalid_arguments("cl_ord_id")
    return value


def check_userref(value: int | None, name: str = "userref") -> int:
    if value is None:
        return 0
    if not INT32[0] <= value <= INT32[1]:
        raise invalid_arguments(name)
    return value


def _side(value: str | None, name: str) -> OrderSide:
    if value not in ("buy", "sell"):
        raise invalid_arguments(name)
    return OrderSide(value)


def _order_type(value: str | None, name: str) -> str:
    if value not in ORDER_TYPES:
        raise invalid_arguments(name)
    return value


def _time_in_force(value: str | None, name: str) -> str:
    tif = (value or "GTC").upper()
    if tif not in ("GTC", "IOC", "GTD"):
        raise invalid_arguments(name)
    return tif


def _rest_expiry(text: str | None, now: datetime) -> datetime | None:
    """`expiretm`: `+<seconds>` from now, or a unix timestamp; 0 or absent means none."""
    if text is None or text in ("", "0"):
        return None
    try:
        if text.startswith("+"):
            return now + timedelta(seconds=float(Decimal(text[1:])))
        return from_unix(Decimal(text))
    except ArithmeticError:
        raise invalid_arguments("expiretm") from None


def _check_expiry(tif: str, expire_at: datetime | None, now: datetime, name: str) -> None:
    if tif == "GTD" and (expire_at is None or expire_at <= now):
        raise invalid_arguments(name)


def from_rest(params: Params, catalog: Catalog, now: datetime) -> tuple[OrderRequest, bool]:
    """AddOrder's parameters as an order request, and whether only to validate it."""
    pair = catalog.pair(params.required("pair"))
    side = _side(params.text("type"), "type")
    order_type = _order_type(params.text("ordertype"), "ordertype")
    volume = params.decimal("volume")
    if volume is None:
        raise invalid_arguments("volume")
    price = params.decimal("price") if order_type == "limit" else None
    if order_type == "limit" and price is None:
        raise invalid_arguments("price")
    tif = _time_in_force(params.text("timeinforce"), "timeinforce")
    expire_at = _rest_expiry(params.text("expiretm"), now) if tif == "GTD" else None
    _check_expiry(tif, expire_at, now, "expiretm")
    userref = params.integer("userref")
    cl_ord_id = params.text("cl_ord_id")
    if cl_ord_id is not None and userref is not None:
        raise invalid_arguments("cl_ord_id")
    oflags = tuple(params.items("oflags"))
    if not set(oflags) <= OFLAGS:
        raise invalid_arguments("oflags")
    _check_deadline(params.text("deadline"), now)
    request = OrderRequest(
        symbol=pair.symbol,
        side=side,
        order_type=order_type,
        volume=volume,
        price=price,
        time_in_force=tif,
        expire_at=expire_at,
        userref=check_userref(userref),
        cl_ord_id=None if cl_ord_id is None else check_cl_ord_id(cl_ord_id),
        post_only="post" in oflags,
        oflags=oflags,
    )
    return request, params.flag("validate")


def from_ws(params: Params, catalog: Catalog, now: datetime) -> tuple[OrderRequest, bool]:
    """add_order's parameters as an order request, and whether only to validate it."""
    symbol = params.required("symbol")
    pair = catalog.find_pair(symbol)
    if pair is None or pair.symbol != symbol:
        raise KrakenError(f"Currency pair not supported {symbol}")
    order_type = _order_type(params.text("order_type"), "order_type")
    volume = params.decimal("order_qty")
    if volume is None:
        raise invalid_arguments("order_qty")
    price = params.decimal("limit_price") if order_type == "limit" else None
    if order_type == "limit" and price is None:
        raise invalid_arguments("limit_price")
    tif = _time_in_force(params.text("time_in_force"), "time_in_force")
    expire_text = params.text("expire_time")
    expire_at = _parse_rfc3339(expire_text, "expire_time") if tif == "GTD" and expire_text else None
    _check_expiry(tif, expire_at, now, "expire_time")
    userref = params.integer("order_userref")
    cl_ord_id = params.text("cl_ord_id")
    if cl_ord_id is not None and userref is not None:
        raise invalid_arguments("cl_ord_id")
    _check_deadline(params.text("deadline"), now)
    post_only = params.flag("post_only")
    request = OrderRequest(
        symbol=pair.symbol,
        side=_side(params.text("side"), "side"),
        order_type=order_type,
        volume=volume,
        price=price,
        time_in_force=tif,
        expire_at=expire_at,
        userref=check_userref(userref, "order_userref"),
        cl_ord_id=None if cl_ord_id is None else check_cl_ord_id(cl_ord_id),
        post_only=post_only,
        oflags=("post",) if post_only else (),
    )
    return request, params.flag("validate")


def _parse_rfc3339(text: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_arguments(name) from None
    if parsed.tzinfo is None:
        raise invalid_arguments(name)
    return parsed


def _check_deadline(text: str | None, now: datetime) -> None:
    """A `deadline` already past answers `EService:Deadline elapsed`."""
    if text is not None and _parse_rfc3339(text, "deadline") <= now:
        raise KrakenError("EService:Deadline elapsed")

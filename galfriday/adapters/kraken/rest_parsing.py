"""Kraken REST results → domain values: exact Decimals from the wire strings, aware UTC times, neutral names.

Orders placed outside galfriday (no `cl_ord_id`) carry their txid as client id and `external=True`.
Kraken order types other than market and limit map to the nearest domain type: `*-limit` orders and
icebergs are limit orders at their limit price, stop/take-profit/trailing orders without one are market.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from attrs import field, frozen

from galfriday.adapters.kraken.naming import KrakenNames
from galfriday.config import Secret
from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import Asset, Symbol
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.timestamps import EPOCH
from galfriday.errors import InvalidValueError

__all__ = [
    "SystemStatus",
    "WebSocketsToken",
    "parse_assets",
    "parse_balance",
    "parse_balance_ex",
    "parse_cancel_all_after",
    "parse_order",
    "parse_rfc3339",
    "parse_system_status",
    "parse_time",
    "parse_token",
    "parse_trade",
    "unix_time",
]

_MICRO = Decimal(1_000_000)


@frozen
class SystemStatus:
    """`online`, `maintenance`, `cancel_only` or `post_only`, as of `timestamp`."""

    status: str
    timestamp: datetime

    @property
    def accepts_orders(self) -> bool:
        return self.status in ("online", "post_only")


@frozen
class WebSocketsToken:
    """A private WebSocket token; use it within `expires_in` seconds of `issued_at`. Never printed."""

    token: Secret = field(repr=False)
    expires_in: int
    issued_at: datetime

    @property
    def expires_at(self) -> datetime:
        return self.issued_at + timedelta(seconds=self.expires_in)


def _decimal(field_name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise InvalidValueError(field_name, value, "a decimal number from Kraken")
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise InvalidValueError(field_name, value, "a decimal number from Kraken") from None
    if not result.is_finite():
        raise InvalidValueError(field_name, value, "a finite decimal number from Kraken")
    return result


def unix_time(value: Any) -> datetime:
    """Kraken's unix seconds (`1688666559.8974`, as number or string) → aware UTC, to the microsecond."""
    micros = (_decimal("time", value) * _MICRO).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return EPOCH + timedelta(microseconds=int(micros))


def parse_rfc3339(value: str) -> datetime:
    """`2023-03-24T17:41:56Z` → aware UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise InvalidValueError(
            "timestamp", value, "an RFC 3339 time with a zone, such as 2023-03-24T17:41:56Z"
        )
    return parsed.astimezone(UTC)


def parse_time(result: Mapping[str, Any]) -> datetime:
    return unix_time(result["unixtime"])


def parse_system_status(result: Mapping[str, Any]) -> SystemStatus:
    return SystemStatus(status=str(result["status"]), timestamp=parse_rfc3339(result["timestamp"]))


def parse_assets(result: Mapping[str, Any]) -> list[Asset]:
    """Assets by neutral code with Kraken's decimals; codes that are not valid neutral codes are skipped."""
    names = KrakenNames.from_responses(result, {})
    assets: list[Asset] = []
    for code, info in result.items():
        try:
            assets.append(Asset(code=names.asset(code), decimals=int(info.get("decimals", 8))))
        except InvalidValueError:
            continue
    return assets


def parse_balance(result: Mapping[str, Any], names: KrakenNames, at: datetime) -> list[Balance]:
    """`Balance` has no holds: total and available are both the cash balance."""
    balances = []
    for code, value in result.items():
        amount = _decimal(f"balance[{code}]", value)
        balances.append(Balance(asset=names.asset(code), total=amount, available=amount, updated_at=at))
    return balances


def parse_balance_ex(result: Mapping[str, Any], names: KrakenNames, at: datetime) -> list[Balance]:
    """Available = balance + credit - credit_used - hold_trade (Kraken's formula), kept within [0, total]."""
    balances = []
    for code, info in result.items():
        total = _decimal(f"{code}.balance", info["balance"])
        credit = _decimal(f"{code}.credit", info.get("credit", 0))
        used = _decimal(f"{code}.credit_used", info.get("credit_used", 0))
        hold = _decimal(f"{code}.hold_trade", info.get("hold_trade", 0))
        available = min(total, max(ZERO, total + credit - used - hold))
        balances.append(Balance(asset=names.asset(code), total=total, available=available, updated_at=at))
    return balances


def _order_type_and_price(descr: Mapping[str, Any]) -> tuple[OrderType, Decimal | None]:
    kind = str(descr.get("ordertype", "market"))
    price = _decimal("descr.price", descr.get("price") or 0)
    price2 = _decimal("descr.price2", descr.get("price2") or 0)
    if kind in ("limit", "iceberg"):
        return (OrderType.LIMIT, price) if price > 0 else (OrderType.MARKET, None)
    if kind.endswith("-limit"):
        limit = price2 if price2 > 0 else price
        return (OrderType.LIMIT, limit) if limit > 0 else (OrderType.MARKET, None)
    return OrderType.MARKET, None


def _status(kraken_status: str, volume: Decimal, executed: Decimal) -> OrderStatus:
    if kraken_status in ("pending", "open"):
        return OrderStatus.PARTIALLY_FILLED if executed > 0 else OrderStatus.NEW
    if kraken_status == "closed":
        return OrderStatus.FILLED if executed >= volume else OrderStatus.CANCELED
    if kraken_status == "canceled":
        return OrderStatus.CANCELED
    if kraken_status == "expired":
        return OrderStatus.EXPIRED
    raise InvalidValueError("status", kraken_status, "one of pending, open, closed, canceled, expired")


def _fee_currency(symbol: str, oflags: str) -> str:
    parsed = Symbol.parse(symbol)
    return parsed.base if "fcib" in oflags.split(",") else parsed.quote


def parse_order(
    txid: str, info: Mapping[str, Any], names: KrakenNames, *, client_order_id: str | None = None
) -> Order:
    """One OpenOrders/ClosedOrders/QueryOrders entry as a domain `Order`."""
    descr = info["descr"]
    symbol = names.symbol(str(descr["pair"]))
    volume = _decimal("vol", info["vol"])
    executed = _decimal("vol_exec", info.get("vol_exec", 0))
    status = _status(str(info["status"]), volume, executed)
    order_type, limit_price = _order_type_and_price(descr)
    fee = _decimal("fee", info.get("fee") or 0)
    oflags = str(info.get("oflags") or "")
    cl_ord_id = info.get("cl_ord_id") or client_order_id
    created = unix_time(info["opentm"])
    closed = info.get("closetm")
    return Order(
        client_order_id=str(cl_ord_id or txid),
        symbol=symbol,
        side=OrderSide(str(descr["type"])),
        order_type=order_type,
        quantity=volume,
        created_at=created,
        updated_at=max(created, unix_time(closed)) if closed else created,
        limit_price=limit_price,
        exchange_order_id=txid,
        status=status,
        filled_quantity=executed,
        filled_cost=_decimal("cost", info.get("cost") or 0),
        fees={_fee_currency(symbol, oflags): fee} if fee > 0 else {},
        closed_filled_quantity=executed if status.is_terminal else None,
        external=not cl_ord_id,
        reason=info.get("reason") or None,
    )


def parse_trade(txid: str, info: Mapping[str, Any], names: KrakenNames) -> Execution:
    """One TradesHistory entry as a domain `Execution` (fee in the pair's quote currency, as Kraken reports)."""
    symbol = names.symbol(str(info["pair"]))
    maker = info.get("maker")
    trade_id = info.get("trade_id")
    return Execution(
        exec_id=txid,
        order_id=str(info["ordertxid"]),
        symbol=symbol,
        side=OrderSide(str(info["type"])),
        quantity=_decimal("vol", info["vol"]),
        price=_decimal("price", info["price"]),
        timestamp=unix_time(info["time"]),
        fee=_decimal("fee", info.get("fee") or 0),
        fee_currency=Symbol.parse(symbol).quote,
        liquidity=Liquidity.UNKNOWN if maker is None else (Liquidity.MAKER if maker else Liquidity.TAKER),
        trade_id=None if trade_id is None else str(trade_id),
    )


def parse_cancel_all_after(result: Mapping[str, Any]) -> datetime | None:
    """When the dead-man's switch fires, or None when it is disarmed (`triggerTime` of `0`)."""
    trigger = str(result.get("triggerTime") or "0")
    return None if trigger in ("0", "") else parse_rfc3339(trigger)


def parse_token(result: Mapping[str, Any], at: datetime) -> WebSocketsToken:
    return WebSocketsToken(
        token=Secret(str(result["token"])), expires_in=int(result["expires"]), issued_at=at
    )

"""Kraken WebSocket v2 frames as typed messages, decoded once with msgspec.

Prices and quantities decode straight from the wire digits into `Decimal` (never through a float). The
structs check shape and types; the domain checks meaning when the messages are translated. Enumerations
that Kraken may extend (`exec_type`, `order_status`, `side`, ...) stay strings here, so that one new value
cannot make a whole frame, and the other reports in it, unreadable. `parse_message` raises only
`KrakenMessageError`, whatever it is given.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

import msgspec

from galfriday.adapters.kraken.ws_errors import KrakenMessageError

__all__ = [
    "AssetInfo",
    "BalanceEntry",
    "BalancesMessage",
    "BookData",
    "BookMessage",
    "ChannelMessage",
    "ExecutionReport",
    "ExecutionsMessage",
    "Fee",
    "Heartbeat",
    "InstrumentData",
    "InstrumentMessage",
    "KrakenMessage",
    "Level",
    "MethodResponse",
    "OhlcData",
    "OhlcMessage",
    "PairInfo",
    "Pong",
    "StatusData",
    "StatusMessage",
    "TickerData",
    "TickerMessage",
    "TradeData",
    "TradeMessage",
    "Wallet",
    "parse_message",
]

Timestamp = Annotated[datetime, msgspec.Meta(tz=True)]
"""RFC 3339 with a zone (Kraken sends `Z`)."""
Checksum = Annotated[int, msgspec.Meta(ge=0, le=0xFFFFFFFF)]
MessageType = Literal["snapshot", "update"]


class _Struct(msgspec.Struct, frozen=True, kw_only=True):
    pass


# --- book ---------------------------------------------------------------------------------------------


class Level(_Struct, frozen=True):
    """One price level: a positive price and a quantity (zero removes the level in an update)."""

    price: Decimal
    qty: Decimal

    def __post_init__(self) -> None:
        if not (self.price.is_finite() and self.qty.is_finite() and self.price > 0 and self.qty >= 0):
            raise ValueError(f"a book level needs a positive price and a quantity >= 0, got {self}")


class BookData(_Struct, frozen=True):
    symbol: str
    checksum: Checksum
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    timestamp: Timestamp | None = None


# --- executions ---------------------------------------------------------------------------------------


class Fee(_Struct, frozen=True):
    asset: str
    qty: Decimal


class ExecutionReport(_Struct, frozen=True):
    """One entry of the executions channel. Updates are partial: which fields appear depends on `exec_type`."""

    order_id: str
    exec_type: str
    exec_id: str | None = None
    trade_id: int | None = None
    cl_ord_id: str | None = None
    order_userref: int | None = None
    symbol: str | None = None
    side: str | None = None
    order_type: str | None = None
    order_status: str | None = None
    time_in_force: str | None = None
    order_qty: Decimal | None = None
    cash_order_qty: Decimal | None = None
    limit_price: Decimal | None = None
    limit_price_type: str | None = None
    cum_qty: Decimal | None = None
    cum_cost: Decimal | None = None
    last_qty: Decimal | None = None
    last_price: Decimal | None = None
    fees: tuple[Fee, ...] | None = None
    fee_usd_equiv: Decimal | None = None
    liquidity_ind: str | None = None
    post_only: bool | None = None
    reduce_only: bool | None = None
    reason: str | None = None
    cancel_reason: str | None = None
    timestamp: Timestamp | None = None


# --- balances -----------------------------------------------------------------------------------------


class Wallet(_Struct, frozen=True):
    wallet_type: str = msgspec.field(name="type")
    id: str
    balance: Decimal


class BalanceEntry(_Struct, frozen=True):
    """A snapshot row (total with its wallets) or an update row (one ledger entry and the new balance)."""

    asset: str
    balance: Decimal
    asset_class: str | None = None
    wallets: tuple[Wallet, ...] | None = None
    ledger_id: str | None = None
    ref_id: str | None = None
    ledger_type: str | None = msgspec.field(default=None, name="type")
    subtype: str | None = None
    category: str | None = None
    wallet_type: str | None = None
    wallet_id: str | None = None
    amount: Decimal | None = None
    fee: Decimal | None = None
    timestamp: Timestamp | None = None


# --- public market data -------------------------------------------------------------------------------


class TickerData(_Struct, frozen=True):
    symbol: str
    bid: Decimal
    bid_qty: Decimal
    ask: Decimal
    ask_qty: Decimal
    last: Decimal
    volume: Decimal
    vwap: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None
    timestamp: Timestamp | None = None


class TradeData(_Struct, frozen=True):
    symbol: str
    side: str
    price: Decimal
    qty: Decimal
    trade_id: int
    timestamp: Timestamp
    ord_type: str | None = None


class OhlcData(_Struct, frozen=True):
    symbol: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    interval: int
    interval_begin: Timestamp
    trades: int = 0
    vwap: Decimal | None = None
    timestamp: Timestamp | None = None


class AssetInfo(_Struct, frozen=True):
    id: str
    status: str | None = None
    precision: int | None = None
    precision_display: int | None = None


class PairInfo(_Struct, frozen=True):
    symbol: str
    base: str
    quote: str
    price_precision: int
    qty_precision: int
    status: str | None = None
    price_increment: Decimal | None = None
    qty_increment: Decimal | None = None
    qty_min: Decimal | None = None
    cost_min: Decimal | None = None
    cost_precision: int | None = None


class InstrumentData(_Struct, frozen=True):
    assets: tuple[AssetInfo, ...] = ()
    pairs: tuple[PairInfo, ...] = ()


class StatusData(_Struct, frozen=True):
    system: str
    api_version: str | None = None
    connection_id: int | None = None
    version: str | None = None


# --- channel messages (tagged by "channel") -----------------------------------------------------------


class _Channel(_Struct, frozen=True, tag_field="channel"):
    pass


SequenceNumber = Annotated[int, msgspec.Meta(ge=0)]
"""A private channel's sequence number: a negative one is an unreadable frame, not a crash further on."""


class BookMessage(_Channel, frozen=True, tag="book"):
    type: MessageType
    data: tuple[BookData, ...]


class ExecutionsMessage(_Channel, frozen=True, tag="executions"):
    type: MessageType
    data: tuple[ExecutionReport, ...]
    sequence: SequenceNumber | None = None


class BalancesMessage(_Channel, frozen=True, tag="balances"):
    type: MessageType
    data: tuple[BalanceEntry, ...]
    sequence: SequenceNumber | None = None


class TickerMessage(_Channel, frozen=True, tag="ticker"):
    type: MessageType
    data: tuple[TickerData, ...]


class TradeMessage(_Channel, frozen=True, tag="trade"):
    type: MessageType
    data: tuple[TradeData, ...]


class OhlcMessage(_Channel, frozen=True, tag="ohlc"):
    type: MessageType
    data: tuple[OhlcData, ...]
    timestamp: Timestamp | None = None


class InstrumentMessage(_Channel, frozen=True, tag="instrument"):
    type: MessageType
    data: InstrumentData


class StatusMessage(_Channel, frozen=True, tag="status"):
    type: MessageType
    data: tuple[StatusData, ...]


class Heartbeat(_Channel, frozen=True, tag="heartbeat"):
    pass


ChannelMessage = Union[  # noqa: UP007 - a runtime type for msgspec
    BookMessage,
    ExecutionsMessage,
    BalancesMessage,
    TickerMessage,
    TradeMessage,
    OhlcMessage,
    InstrumentMessage,
    StatusMessage,
    Heartbeat,
]


# --- method responses ---------------------------------------------------------------------------------


class MethodResponse(_Struct, frozen=True):
    """The answer to a request (subscribe, add_order, ...): `success`, or `error`; `req_id` as sent."""

    method: str
    req_id: int | None = None
    success: bool | None = None
    error: str | None = None
    result: Any = None
    symbol: str | None = None
    warnings: tuple[str, ...] | None = None
    time_in: Timestamp | None = None
    time_out: Timestamp | None = None


class Pong(_Struct, frozen=True):
    req_id: int | None = None
    time_in: Timestamp | None = None
    time_out: Timestamp | None = None


class _Probe(msgspec.Struct):
    channel: Any = None
    method: Any = None


KrakenMessage = Union[ChannelMessage, MethodResponse, Pong]  # noqa: UP007

_channels = msgspec.json.Decoder(ChannelMessage)
_methods = msgspec.json.Decoder(MethodResponse, float_hook=Decimal)
_probe = msgspec.json.Decoder(_Probe)
_DECODE_ERRORS = (msgspec.MsgspecError, ValueError, TypeError, ArithmeticError, RecursionError)


def parse_message(frame: bytes | str) -> KrakenMessage:
    """Decode one frame; anything that is not a Kraken v2 message raises `KrakenMessageError`."""
    try:
        message: ChannelMessage = _channels.decode(frame)
    except msgspec.ValidationError as error:
        return _parse_other(frame, error)
    except _DECODE_ERRORS as error:
        raise KrakenMessageError(str(error) or type(error).__name__, frame) from None
    return message


def _parse_other(frame: bytes | str, channel_error: msgspec.ValidationError) -> KrakenMessage:
    """Not a channel message we know: a method response, or an error naming what is wrong."""
    try:
        probe = _probe.decode(frame)
        if probe.channel is not None:
            raise KrakenMessageError(str(channel_error), frame)
        if probe.method is None:
            raise KrakenMessageError("neither a `channel` message nor a `method` response", frame)
        response: MethodResponse = _methods.decode(frame)
    except _DECODE_ERRORS as error:
        raise KrakenMessageError(str(error) or type(error).__name__, frame) from None
    if response.method == "pong":
        return Pong(req_id=response.req_id, time_in=response.time_in, time_out=response.time_out)
    return response

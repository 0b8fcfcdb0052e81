"""What the simulator remembers: orders, trades (own fills), ledger entries, public trades, and the events
it publishes to its WebSocket layer. Orders, trades and ledger entries are immutable snapshots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from attrs import define, field, frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import Execution, Liquidity, OrderSide


class OrderState(StrEnum):
    """REST order statuses."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in (OrderState.PENDING, OrderState.OPEN)


@frozen
class OrderRequest:
    """A validated order entry, from REST AddOrder or WebSocket add_order."""

    symbol: str
    side: OrderSide
    order_type: str
    volume: Decimal
    price: Decimal | None = None
    time_in_force: str = "GTC"
    expire_at: datetime | None = None
    userref: int = 0
    cl_ord_id: str | None = None
    post_only: bool = False
    oflags: tuple[str, ...] = ()


@frozen
class SimOrder:
    """One account's order as the venue knows it."""

    txid: str
    account: str
    postxid: str
    request: OrderRequest
    opened_at: datetime
    state: OrderState = OrderState.PENDING
    vol_exec: Decimal = ZERO
    cost: Decimal = ZERO
    fee: Decimal = ZERO
    trades: tuple[str, ...] = ()
    closed_at: datetime | None = None
    reason: str | None = None

    @property
    def symbol(self) -> str:
        return self.request.symbol

    @property
    def side(self) -> OrderSide:
        return self.request.side

    @property
    def volume(self) -> Decimal:
        return self.request.volume

    @property
    def remaining(self) -> Decimal:
        return self.request.volume - self.vol_exec

    @property
    def ws_status(self) -> str:
        """The v2 `order_status`."""
        if self.state is OrderState.PENDING:
            return "pending_new"
        if self.state is OrderState.OPEN:
            return "new" if self.vol_exec == 0 else "partially_filled"
        return "filled" if self.state is OrderState.CLOSED else self.state.value


@frozen
class SimTrade:
    """One fill of one account's order (REST trade, WebSocket `trade` execution)."""

    exec_id: str
    order_txid: str
    postxid: str
    account: str
    symbol: str
    side: OrderSide
    order_type: str
    price: Decimal
    volume: Decimal
    fee: Decimal
    fee_asset: str
    maker: bool
    trade_id: int
    time: datetime
    cl_ord_id: str | None = None
    userref: int = 0
    ledger_ids: tuple[str, ...] = ()

    @property
    def cost(self) -> Decimal:
        return self.price * self.volume

    def to_execution(self) -> Execution:
        """The galfriday domain execution this fill is, keyed by its exec id."""
        return Execution(
            exec_id=self.exec_id,
            order_id=self.order_txid,
            symbol=self.symbol,
            side=self.side,
            quantity=self.volume,
            price=self.price,
            timestamp=self.time,
            fee=self.fee,
            fee_currency=self.fee_asset,
            liquidity=Liquidity.MAKER if self.maker else Liquidity.TAKER,
            trade_id=str(self.trade_id),
            client_order_id=self.cl_ord_id,
        )


@frozen
class LedgerEntry:
    """One balance change: `amount` moves the total, `fee` is charged on top, `balance` is the new total."""

    ledger_id: str
    ref_id: str
    time: datetime
    type: str
    asset: str
    amount: Decimal
    fee: Decimal
    balance: Decimal


@frozen
class PublicTrade:
    """A trade on the public tape (`trade` channel): taker side, taker order type, per-book id."""

    symbol: str
    side: OrderSide
    price: Decimal
    qty: Decimal
    ord_type: str
    trade_id: int
    time: datetime


@frozen
class WsToken:
    """A GetWebSocketsToken answer, usable for subscriptions until `created_at + ttl`."""

    token: str
    account: str
    created_at: datetime
    ttl: int


@define
class Account:
    """An account: keys, balances, what open orders hold, and its history."""

    name: str
    api_key: str
    api_secret: str
    totals: dict[str, Decimal] = field(factory=dict)
    held: dict[str, Decimal] = field(factory=dict)
    orders: dict[str, SimOrder] = field(factory=dict)
    trades: list[SimTrade] = field(factory=list)
    ledger: list[LedgerEntry] = field(factory=list)
    last_nonce: int | None = None
    deadline: datetime | None = None

    def open_orders(self) -> list[SimOrder]:
        return [order for order in self.orders.values() if order.state.is_open]

    def available(self, asset: str) -> Decimal:
        return self.totals.get(asset, ZERO) - self.held.get(asset, ZERO)


# --- events the state publishes ----------------------------------------------------------------------


@frozen
class OrderEvent:
    """An order changed: `exec_type` as v2 `executions` names it; `trade` set for exec_type `trade`."""

    account: str
    exec_type: str
    order: SimOrder
    at: datetime
    trade: SimTrade | None = None


@frozen
class LedgerEvent:
    account: str
    entry: LedgerEntry


@frozen
class MarketEvent:
    """A symbol's book may have changed, and these public trades happened."""

    symbol: str
    trades: tuple[PublicTrade, ...]
    at: datetime


@frozen
class StatusEvent:
    system: str
    at: datetime


SimEvent = OrderEvent | LedgerEvent | MarketEvent | StatusEvent

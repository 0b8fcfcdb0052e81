"""Domain events: what changed in our state, and what the exchange told us.

State-change events (`OrderStatusChanged`, `ExecutionApplied`, ...) come out of the aggregates. Exchange
events (`OrderReported`, `ExecutionReported`, ...) are what an exchange stream yields; every exchange adapter,
the fake one included, emits exactly these types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Union

from attrs import field, frozen

from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.market_data import BookUpdate, Candle, Ticker, Trade
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.positions import Position
from galfriday.domain.timestamps import optional_utc, to_utc

if TYPE_CHECKING:
    from galfriday.domain.orders import Order


# --- state changes -----------------------------------------------------------------------------------


@frozen
class OrderStatusChanged:
    client_order_id: str
    exchange_order_id: str | None
    symbol: str
    previous: OrderStatus
    current: OrderStatus
    filled_quantity: Decimal
    occurred_at: datetime = field(converter=to_utc)
    reason: str | None = None

    topic = "order.status"


@frozen
class ExecutionApplied:
    execution: Execution
    client_order_id: str
    filled_quantity: Decimal
    status: OrderStatus
    occurred_at: datetime = field(converter=to_utc)

    topic = "order.execution"


@frozen
class PositionChanged:
    position: Position
    occurred_at: datetime = field(converter=to_utc)

    topic = "position"


@frozen
class BalanceChanged:
    previous: Balance | None
    current: Balance
    occurred_at: datetime = field(converter=to_utc)

    topic = "balance"


DomainEvent = Union[OrderStatusChanged, ExecutionApplied, PositionChanged, BalanceChanged]  # noqa: UP007


# --- what an exchange stream reports -----------------------------------------------------------------


@frozen
class OrderReported:
    """The exchange's view of one order (a snapshot row or an update)."""

    order: Order
    occurred_at: datetime = field(converter=to_utc)
    snapshot: bool = False

    topic = "exchange.order"


@frozen
class ExecutionReported:
    execution: Execution
    snapshot: bool = False

    topic = "exchange.execution"

    @property
    def occurred_at(self) -> datetime:
        return self.execution.timestamp


@frozen
class BalanceReported:
    balance: Balance
    snapshot: bool = False

    topic = "exchange.balance"

    @property
    def occurred_at(self) -> datetime:
        return self.balance.updated_at


@frozen
class TickerReported:
    ticker: Ticker

    topic = "market.ticker"

    @property
    def occurred_at(self) -> datetime:
        return self.ticker.timestamp


@frozen
class TradeReported:
    trade: Trade

    topic = "market.trade"

    @property
    def occurred_at(self) -> datetime:
        return self.trade.timestamp


@frozen
class CandleReported:
    candle: Candle
    occurred_at: datetime = field(converter=to_utc)

    topic = "market.candle"


@frozen
class BookReported:
    update: BookUpdate

    topic = "market.book"

    @property
    def occurred_at(self) -> datetime:
        return self.update.timestamp


@frozen
class StreamStatusChanged:
    """The stream became healthy (connected, subscribed, caught up) or stopped being so."""

    healthy: bool
    reason: str
    occurred_at: datetime = field(converter=to_utc)

    topic = "exchange.stream"


@frozen
class StreamRecoveryNeeded:
    """The stream may have missed private updates: backfill through REST, then reconcile.

    `reason` is `reconnect` (a new connection after a drop), `gap` (a sequence number skipped) or `rejected` (a
    private order/fill frame that arrived but could not be read, so what it carried is lost); `since` is the
    receive time of the last private message before the loss, None when nothing had arrived yet.
    """

    exchange: str
    reason: str
    since: datetime | None = field(converter=optional_utc)
    occurred_at: datetime = field(converter=to_utc)
    reconnects: int = 0

    topic = "exchange.recovery"


ExchangeEvent = Union[  # noqa: UP007
    OrderReported,
    ExecutionReported,
    BalanceReported,
    TickerReported,
    TradeReported,
    CandleReported,
    BookReported,
    StreamStatusChanged,
    StreamRecoveryNeeded,
]

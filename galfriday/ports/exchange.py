"""Exchange ports: the account (request/response) and the stream (pushed events).

Errors follow `galfriday.errors`: a definitive "no such order" is `OrderNotFoundError`; a call whose outcome we
could not learn raises `OutcomeUnknownError` and must never be read as "not found".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from attrs import frozen

from galfriday.domain.balances import Balance
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.orders import Order


class ExchangeAccount(Protocol):
    """Private request/response calls against one account."""

    @property
    def name(self) -> str:
        """The exchange's adapter name, for example `kraken` or `memory`."""
        ...

    async def pairs(self) -> list[TradingPair]:
        """Tradable pairs with their precision, exchange-neutral symbols."""
        ...

    async def balances(self) -> list[Balance]: ...

    async def open_orders(self) -> list[Order]:
        """Every order resting on the exchange, as the exchange sees it."""
        ...

    async def orders_by_id(self, exchange_order_ids: Sequence[str]) -> list[Order]:
        """The named orders, open or closed. Ids the exchange does not know are absent from the result."""
        ...

    async def closed_orders_since(self, since: datetime) -> list[Order]:
        """Orders that closed (filled, canceled, expired, rejected) at or after `since`."""
        ...

    async def trades_since(self, since: datetime) -> list[Execution]:
        """Our fills at or after `since`, oldest first."""
        ...

    async def place_order(self, order: Order) -> Order:
        """Submit `order`; return it acknowledged (`exchange_order_id` set). Fills arrive on the stream."""
        ...

    async def cancel_order(self, exchange_order_id: str) -> None:
        """Cancel a resting order; `OrderNotFoundError` if the exchange definitively has no such open order."""
        ...

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        """Arm the dead-man's switch: cancel everything unless re-armed within the timeout. 0 disarms.

        Returns when the switch will fire, or None once disarmed.
        """
        ...


@frozen
class StreamHealth:
    """Whether the stream is connected, subscribed and caught up; order placement consults `healthy`."""

    healthy: bool
    reason: str
    last_message_at: datetime | None
    reconnects: int = 0


class ExchangeStream(Protocol):
    """Pushed updates: private executions, orders and balances, and subscribed public market data."""

    def events(self) -> AsyncIterator[ExchangeEvent]:
        """Iterate over domain events as they arrive; ends when the stream is closed."""
        ...

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None: ...

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None: ...

    def health(self) -> StreamHealth: ...

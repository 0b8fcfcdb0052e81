"""`KrakenAccount`: the `ExchangeAccount` port over Kraken's REST API.

A thin mapping onto `KrakenRestClient`, whose rules it inherits: reads are retried, an order placement
never is (an unanswered one is looked up by `cl_ord_id`, else `OutcomeUnknownError`), and balances come
from `BalanceEx` so that what open orders hold is not counted as available.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import TradingPair
from galfriday.domain.orders import Order
from galfriday.domain.timestamps import utc

__all__ = ["KrakenAccount"]


class KrakenAccount:
    """One Kraken account's private calls, in domain types. The client's lifecycle belongs to the caller."""

    def __init__(self, client: KrakenRestClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"KrakenAccount({self._client!r})"

    @property
    def name(self) -> str:
        return "kraken"

    @property
    def client(self) -> KrakenRestClient:
        return self._client

    async def pairs(self) -> list[TradingPair]:
        return await self._client.asset_pairs()

    async def balances(self) -> list[Balance]:
        """Totals, and what is available once open orders' holds are taken off (`BalanceEx`)."""
        return await self._client.balance_ex()

    async def open_orders(self) -> list[Order]:
        return await self._client.open_orders()

    async def orders_by_id(self, exchange_order_ids: Sequence[str]) -> list[Order]:
        if not exchange_order_ids:
            return []
        return await self._client.query_orders(exchange_order_ids)

    async def closed_orders_since(self, since: datetime) -> list[Order]:
        return await self._client.closed_orders(utc("since", since))

    async def trades_since(self, since: datetime) -> list[Execution]:
        return await self._client.trades_history(utc("since", since))

    async def place_order(self, order: Order) -> Order:
        return await self._client.add_order(order)

    async def cancel_order(self, exchange_order_id: str) -> None:
        await self._client.cancel_order(exchange_order_id)

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        return await self._client.cancel_all_orders_after(timeout_seconds)

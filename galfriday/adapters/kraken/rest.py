"""Kraken Spot REST client: public and private endpoints in domain types.

Reads, `cancel_all_orders_after` and the WebSocket token are retried with backoff; `add_order` and
`cancel_order` never are. When an order placement gets no answer, the order is looked up by its client
order id (`cl_ord_id`) in open and then closed orders; what is found is returned, and if nothing is found
`OutcomeUnknownError` is raised: the order may still appear, so it must not be placed again blindly.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import attrs
from attrs import frozen

from galfriday.adapters.kraken.naming import KrakenNames
from galfriday.adapters.kraken.rate_limit import STARTER, RateTier
from galfriday.adapters.kraken.rest_errors import InvalidRequestError
from galfriday.adapters.kraken.rest_orders import add_order_params, check_userref
from galfriday.adapters.kraken.rest_parsing import (
    SystemStatus,
    WebSocketsToken,
    parse_assets,
    parse_balance,
    parse_balance_ex,
    parse_cancel_all_after,
    parse_order,
    parse_system_status,
    parse_time,
    parse_token,
    parse_trade,
)
from galfriday.adapters.kraken.rest_transport import KrakenTransport, RetryPolicy
from galfriday.adapters.memory.clock import SystemClock
from galfriday.config import Secret
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import Asset, TradingPair
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.errors import (
    ExchangeError,
    InvalidOrderError,
    InvalidValueError,
    OrderNotFoundError,
    OutcomeUnknownError,
)
from galfriday.ports.clock import Clock

__all__ = ["QUERY_BATCH", "KrakenRestClient", "OrderLookupPolicy"]

log = logging.getLogger("galfriday.adapters.kraken.rest")

QUERY_BATCH = 50
"""QueryOrders takes at most 50 txids per call."""
_MAX_PAGES = 10_000


@frozen
class OrderLookupPolicy:
    """How an order placement without an answer is looked up: `delays` before each lookup, in seconds.

    An order opened more than `skew` seconds before the placement began is a different order that once
    used the same `cl_ord_id` (Kraken only keeps it unique among open orders).
    """

    delays: tuple[float, ...] = (0.5, 1.0, 2.0)
    skew: float = 300.0


class KrakenRestClient:
    """One account's REST client with one aiohttp session; use `async with`, or `start()` and `close()`."""

    name = "kraken"

    def __init__(
        self,
        base_url: str,
        api_key: Secret | None,
        api_secret: Secret | None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10,
        clock: Clock | None = None,
        tier: RateTier = STARTER,
        retry: RetryPolicy | None = None,
        lookup: OrderLookupPolicy | None = None,
        serialize_private: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self._clock: Clock = clock or SystemClock()
        self._transport = KrakenTransport(
            base_url,
            api_key,
            api_secret,
            clock=self._clock,
            session=session,
            timeout=timeout,
            tier=tier,
            retry=retry,
            serialize_private=serialize_private,
            rng=rng,
        )
        self._lookup = lookup or OrderLookupPolicy()
        self._names: KrakenNames | None = None

    def __repr__(self) -> str:
        return f"KrakenRestClient({self._transport!r})"

    @property
    def transport(self) -> KrakenTransport:
        return self._transport

    async def start(self) -> None:
        await self._transport.start()

    async def close(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> KrakenRestClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- public ---------------------------------------------------------------------------------------

    async def time(self) -> datetime:
        """Kraken's clock."""
        return parse_time(await self._transport.public("Time"))

    async def system_status(self) -> SystemStatus:
        return parse_system_status(await self._transport.public("SystemStatus"))

    async def assets(self) -> list[Asset]:
        return parse_assets(await self._transport.public("Assets"))

    async def asset_pairs(self) -> list[TradingPair]:
        """Every pair with its precision, by neutral symbol (also refreshes the names used for parsing)."""
        return (await self.names(refresh=True)).trading_pairs()

    async def names(self, *, refresh: bool = False) -> KrakenNames:
        """Kraken's names from Assets and AssetPairs, loaded once and cached until `refresh`."""
        if self._names is None or refresh:
            assets = await self._transport.public("Assets")
            pairs = await self._transport.public("AssetPairs")
            self._names = KrakenNames.from_responses(assets, pairs)
        return self._names

    # --- balances -------------------------------------------------------------------------------------

    async def balance(self) -> list[Balance]:
        """Cash balances; Kraken's `Balance` has no holds, so available equals total (see `balance_ex`)."""
        result = await self._transport.private("Balance", retry=True)
        return parse_balance(result, await self.names(), self._clock.now())

    async def balance_ex(self) -> list[Balance]:
        """Balances with what open orders hold: available = balance + credit - credit_used - hold_trade."""
        result = await self._transport.private("BalanceEx", retry=True)
        return parse_balance_ex(result, await self.names(), self._clock.now())

    # --- orders and trades ----------------------------------------------------------------------------

    async def open_orders(self, *, userref: int | None = None, cl_ord_id: str | None = None) -> list[Order]:
        params: list[tuple[str, str]] = []
        if userref is not None:
            params.append(("userref", str(check_userref(userref))))
        if cl_ord_id is not None:
            params.append(("cl_ord_id", cl_ord_id))
        result = await self._transport.private("OpenOrders", params, retry=True)
        return await self._orders(result.get("open", {}))

    async def closed_orders(
        self, start: datetime | None = None, *, userref: int | None = None, cl_ord_id: str | None = None
    ) -> list[Order]:
        """Orders closed at or after `start` (all pages), most recent first as Kraken lists them."""
        params: list[tuple[str, str]] = [("closetime", "close")]
        if start is not None:
            params.append(("start", str(int(start.timestamp()) - 1)))
        if userref is not None:
            params.append(("userref", str(check_userref(userref))))
        if cl_ord_id is not None:
            params.append(("cl_ord_id", cl_ord_id))
        rows = await self._pages("ClosedOrders", "closed", params)
        orders = await self._orders(rows)
        if start is None:
            return orders
        return [order for order in orders if order.updated_at >= start]

    async def query_orders(self, txids: Sequence[str]) -> list[Order]:
        """The named orders, open or closed, in batches of 50; ids Kraken does not know are absent."""
        if isinstance(txids, str):
            raise InvalidValueError("txids", txids, "a sequence of order ids, not a single string")
        unique = list(dict.fromkeys(txids))
        orders: list[Order] = []
        for offset in range(0, len(unique), QUERY_BATCH):
            orders.extend(await self._query_batch(unique[offset : offset + QUERY_BATCH]))
        return orders

    async def _query_batch(self, txids: list[str]) -> list[Order]:
        try:
            result = await self._transport.private(
                "QueryOrders",
                [("txid", ",".join(txids))],
                retry=True,
                order_id=txids[0] if len(txids) == 1 else None,
            )
        except (OrderNotFoundError, InvalidOrderError) as exc:
            if isinstance(exc, InvalidRequestError):
                raise
            if len(txids) == 1:
                log.info("Kraken QueryOrders: no order %s (%s)", txids[0], type(exc).__name__)
                return []
            middle = len(txids) // 2
            return await self._query_batch(txids[:middle]) + await self._query_batch(txids[middle:])
        return await self._orders(result)

    async def trades_history(self, start: datetime | None = None) -> list[Execution]:
        """Our fills at or after `start` (all pages, paginated by `ofs`), oldest first."""
        params: list[tuple[str, str]] = []
        if start is not None:
            params.append(("start", str(int(start.timestamp()) - 1)))
        rows = await self._pages("TradesHistory", "trades", params)
        names = await self.names()
        executions = [parse_trade(txid, info, names) for txid, info in rows.items()]
        if start is not None:
            executions = [e for e in executions if e.timestamp >= start]
        return sorted(executions, key=lambda e: (e.timestamp, e.exec_id))

    async def _pages(
        self, method: str, key: str, params: list[tuple[str, str]]
    ) -> dict[str, Mapping[str, Any]]:
        """Every row of a paginated history call, deduplicated by id (rows shift while we page)."""
        rows: dict[str, Mapping[str, Any]] = {}
        offset = 0
        for _ in range(_MAX_PAGES):
            result = await self._transport.private(method, [*params, ("ofs", str(offset))], retry=True)
            page = result.get(key) or {}
            rows.update(page)
            offset += len(page)
            total = result.get("count")
            if not page or total is None or offset >= int(total):
                break
        return rows

    async def _orders(self, rows: Mapping[str, Any]) -> list[Order]:
        names = await self.names()
        return [parse_order(txid, info, names) for txid, info in rows.items()]

    # --- trading --------------------------------------------------------------------------------------

    async def add_order(self, order: Order, *, validate: bool = False) -> Order:
        """Place `order` once; return it acknowledged (`exchange_order_id` set, status `new`).

        Never retried. With no answer, the order is looked up by `cl_ord_id`: if found, Kraken's view of it
        is returned; if not, `OutcomeUnknownError`. Kraken's refusals raise their typed errors.
        """
        params = add_order_params(order, await self.names(), validate=validate)
        began = self._clock.now()
        try:
            result = await self._transport.private("AddOrder", params, retry=False)
        except OutcomeUnknownError as unknown:
            if validate:
                raise
            log.warning("Kraken AddOrder %s: %s; looking it up by cl_ord_id", order.client_order_id, unknown)
            return await self._find_placed(order, began, unknown)
        if validate:
            return order
        txids = result.get("txid") or []
        if not txids:
            return await self._find_placed(
                order, began, OutcomeUnknownError("Kraken AddOrder: answered without a txid")
            )
        acknowledged = order.apply_status(OrderStatus.NEW, self._clock.now(), exchange_order_id=str(txids[0]))
        return acknowledged.order

    async def _find_placed(self, order: Order, began: datetime, cause: OutcomeUnknownError) -> Order:
        earliest = min(began, order.created_at) - timedelta(seconds=self._lookup.skew)
        failure: ExchangeError | None = None
        for delay in self._lookup.delays:
            await self._clock.sleep(delay)
            try:
                found = await self._lookup_client_id(order.client_order_id, earliest)
            except ExchangeError as exc:
                failure = exc
                continue
            if found is not None:
                log.info("Kraken AddOrder %s: found as %s", order.client_order_id, found.exchange_order_id)
                return attrs.evolve(found, time_in_force=order.time_in_force)
        detail = f"; the last lookup failed with {type(failure).__name__}" if failure else ""
        raise OutcomeUnknownError(
            f"Kraken AddOrder {order.client_order_id}: {cause}; not found by cl_ord_id in open or closed "
            f"orders after {len(self._lookup.delays)} lookups{detail}. It may still appear: do not place it "
            "again under a new id until reconciliation has looked once more"
        ) from None

    async def _lookup_client_id(self, cl_ord_id: str, earliest: datetime) -> Order | None:
        for orders in (
            await self.open_orders(cl_ord_id=cl_ord_id),
            await self.closed_orders(earliest, cl_ord_id=cl_ord_id),
        ):
            matches = [o for o in orders if o.client_order_id == cl_ord_id and o.created_at >= earliest]
            if matches:
                return max(matches, key=lambda o: o.created_at)
        return None

    async def cancel_order(self, exchange_order_id: str) -> None:
        """Cancel a resting order by txid; `OrderNotFoundError` if Kraken has no such open order.

        Never retried: with no answer, `OutcomeUnknownError` (the order may or may not be canceled).
        """
        result = await self._transport.private(
            "CancelOrder", [("txid", exchange_order_id)], retry=False, order_id=exchange_order_id
        )
        if int(result.get("count", 0)) == 0 and not result.get("pending"):
            raise OrderNotFoundError(exchange_order_id)

    async def cancel_all_orders_after(self, timeout_seconds: int) -> datetime | None:
        """Arm the dead-man's switch (0 disarms); when it will fire, or None once disarmed.

        Retried: it is idempotent, and re-arming late is what it exists to survive.
        """
        seconds = timeout_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds < 86400:
            raise InvalidValueError("timeout_seconds", seconds, "whole seconds from 0 (disarm) to 86399")
        result = await self._transport.private(
            "CancelAllOrdersAfter", [("timeout", str(seconds))], retry=True
        )
        return None if seconds == 0 else parse_cancel_all_after(result)

    async def get_websockets_token(self) -> WebSocketsToken:
        """A token for the private WebSocket; connect within its 15 minutes."""
        result = await self._transport.private("GetWebSocketsToken", retry=True)
        return parse_token(result, self._clock.now())

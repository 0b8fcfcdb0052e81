"""`KrakenExchange`: the exchange adapter other code receives: Kraken's account and stream on one object.

It owns the REST client's session and the stream's connection: `start()` opens the client, then the
stream; `close()` closes them in reverse. Without a stream (REST only, as the CLI uses it) the facade still
honours `ExchangeStream`: it reports itself unhealthy (`no stream`), its `events()` end at `close()`, and
subscribing to market data is refused with a message that says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Protocol

from galfriday.adapters.kraken.account import KrakenAccount
from galfriday.adapters.kraken.fanout import EventFanout
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.domain.balances import Balance
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.orders import Order
from galfriday.errors import ExchangeError
from galfriday.ports.exchange import ExchangeStream, StreamHealth
from galfriday.ports.lifecycle import Lifecycle

__all__ = ["NO_STREAM", "KrakenExchange", "ManagedStream"]

log = logging.getLogger(__name__)

NO_STREAM = "no stream"
"""The health reason of a facade built without a stream."""


class ManagedStream(ExchangeStream, Lifecycle, Protocol):
    """A stream that holds a connection: the facade starts and closes it with the REST session."""


class KrakenExchange:
    """`ExchangeAccount` and `ExchangeStream` of one Kraken account; use `async with` or start/close."""

    def __init__(
        self, client: KrakenRestClient, stream: ManagedStream | None = None, *, ready_timeout: float = 10.0
    ) -> None:
        self._client = client
        self._ready_timeout = ready_timeout
        self._account = KrakenAccount(client)
        self._stream = stream
        self._fanout = None if stream is None else EventFanout(stream.events)
        self._closed = asyncio.Event()
        self._started = False

    def __repr__(self) -> str:
        return f"KrakenExchange({self._client!r}, stream={type(self._stream).__name__ if self._stream else None})"

    @property
    def name(self) -> str:
        return self._account.name

    @property
    def account(self) -> KrakenAccount:
        return self._account

    @property
    def stream(self) -> ManagedStream | None:
        return self._stream

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the REST session, then connect the stream (if any) and wait up to `ready_timeout` seconds for
        it to be healthy. A stream still unhealthy then is logged, not fatal: it keeps reconnecting, and
        stream recovery polls the account meanwhile. A failed stream start closes the client."""
        if self._started:
            return
        await self._client.start()
        try:
            if self._stream is not None:
                await self._stream.start()
                await self._await_healthy(self._stream)
        except BaseException:
            await self._client.close()
            raise
        self._started = True

    async def _await_healthy(self, stream: ManagedStream) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._ready_timeout
        while not (health := stream.health()).healthy:
            if loop.time() >= deadline:
                log.warning(
                    "Kraken stream not healthy %.1fs after start (%s); starting anyway",
                    self._ready_timeout,
                    health.reason,
                )
                return
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Close the stream, then the REST session. Safe to call more than once."""
        self._closed.set()
        try:
            if self._stream is not None:
                await self._stream.close()
        finally:
            try:
                if self._fanout is not None:
                    await self._fanout.close()
            finally:
                await self._client.close()

    async def __aenter__(self) -> KrakenExchange:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- account -------------------------------------------------------------------------------------

    async def pairs(self) -> list[TradingPair]:
        return await self._account.pairs()

    async def balances(self) -> list[Balance]:
        return await self._account.balances()

    async def open_orders(self) -> list[Order]:
        return await self._account.open_orders()

    async def orders_by_id(self, exchange_order_ids: Sequence[str]) -> list[Order]:
        return await self._account.orders_by_id(exchange_order_ids)

    async def closed_orders_since(self, since: datetime) -> list[Order]:
        return await self._account.closed_orders_since(since)

    async def trades_since(self, since: datetime) -> list[Execution]:
        return await self._account.trades_since(since)

    async def place_order(self, order: Order) -> Order:
        return await self._account.place_order(order)

    async def cancel_order(self, exchange_order_id: str) -> None:
        await self._account.cancel_order(exchange_order_id)

    async def cancel_all_after(self, timeout_seconds: int) -> datetime | None:
        return await self._account.cancel_all_after(timeout_seconds)

    # --- stream --------------------------------------------------------------------------------------

    def events(self) -> AsyncIterator[ExchangeEvent]:
        """Every stream event from now on, for each caller (the stream itself serves one consumer)."""
        if self._fanout is not None:
            return self._fanout.subscribe()
        return self._no_events()

    async def _no_events(self) -> AsyncIterator[ExchangeEvent]:
        await self._closed.wait()
        nothing: tuple[ExchangeEvent, ...] = ()
        for event in nothing:  # an async generator that yields nothing and ends at close()
            yield event

    async def subscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        await self._require_stream().subscribe(symbols, channels)

    async def unsubscribe(self, symbols: Sequence[str], channels: Sequence[MarketChannel]) -> None:
        await self._require_stream().unsubscribe(symbols, channels)

    def health(self) -> StreamHealth:
        if self._stream is None:
            return StreamHealth(healthy=False, reason=NO_STREAM, last_message_at=None)
        return self._stream.health()

    def _require_stream(self) -> ExchangeStream:
        if self._stream is None:
            raise ExchangeError(
                "this KrakenExchange was built without a stream (REST only); market data needs the "
                "WebSocket stream: build it with a stream, or set [exchange.settings] stream = true"
            )
        return self._stream

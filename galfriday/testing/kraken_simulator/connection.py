"""One WebSocket v2 connection: its subscriptions, its outgoing queue and writer, heartbeats and idle close.

Frames pass through chaos on their way out; silence (a chaos fault) swallows them. Heartbeats go out once
per `heartbeat_interval` while at least one channel is subscribed and nothing else was sent meanwhile.
A connection without subscriptions that receives nothing for `idle_timeout` seconds is closed, as Kraken
closes idle connections after about a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from attrs import define, field

from galfriday.testing.kraken_simulator.book_view import BookView
from galfriday.testing.kraken_simulator.chaos import Chaos, Outbound
from galfriday.testing.kraken_simulator.wire import dumps

HEARTBEAT: dict[str, Any] = {"channel": "heartbeat"}


@define
class Subscription:
    """One subscribed channel (and symbol) of a connection, with its own sequence numbers."""

    channel: str
    symbol: str | None = None
    account: str | None = None
    view: BookView | None = None
    interval: int = 1
    event_trigger: str = "trades"
    order_status: bool = True
    last_bbo: tuple[Any, ...] | None = None
    sequence: int = field(default=0)

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


class Connection:
    """A client's WebSocket, public or private (authenticated endpoint)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport | None,
        *,
        connection_id: int,
        private: bool,
        chaos: Chaos,
        heartbeat_interval: float,
        idle_timeout: float | None,
    ) -> None:
        self.ws = ws
        self.connection_id = connection_id
        self.private = private
        self.silent_until = 0.0
        self.subscriptions: dict[tuple[str, str | None], Subscription] = {}
        self.tokens: set[str] = set()
        self._transport = transport
        self._chaos = chaos
        self._heartbeat_interval = heartbeat_interval
        self._idle_timeout = idle_timeout
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._last_sent = self._last_received = time.monotonic()
        self._closed = False
        self._tasks = [
            asyncio.get_running_loop().create_task(self._write()),
            asyncio.get_running_loop().create_task(self._beat()),
        ]

    # --- sending ------------------------------------------------------------------------------------

    def send(self, payload: dict[str, Any], channel: str | None = None) -> None:
        """Queue one frame, through chaos."""
        if self._closed or self.silent:
            return
        self.deliver(self._chaos.outbound(self, Outbound(channel, payload)))

    def deliver(self, frames: Iterable[Outbound]) -> None:
        """Queue frames as they are (chaos already applied)."""
        for frame in frames:
            self.send_text(dumps(frame.payload))

    def send_text(self, text: str) -> None:
        if self._closed or self.silent:
            return
        self._last_sent = time.monotonic()
        self._queue.put_nowait(text)

    @property
    def silent(self) -> bool:
        return time.monotonic() < self.silent_until

    def received(self) -> None:
        self._last_received = time.monotonic()

    # --- ending -------------------------------------------------------------------------------------

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (the client sees code 1006)."""
        self._stop()
        if self._transport is not None:
            self._transport.abort()

    async def close(self) -> None:
        """Stop writing and close the WebSocket cleanly."""
        self._stop()
        with contextlib.suppress(Exception):
            await self.ws.close()

    def _stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()

    async def _write(self) -> None:
        while (text := await self._queue.get()) is not None:
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self._stop()
                return

    async def _beat(self) -> None:
        while not self._closed:
            await asyncio.sleep(min(self._heartbeat_interval, 1.0) / 4)
            now = time.monotonic()
            if self.subscriptions and now - self._last_sent >= self._heartbeat_interval:
                self.send(HEARTBEAT, "heartbeat")
                self._last_sent = now
            idle = self._idle_timeout
            if idle is not None and not self.subscriptions and now - self._last_received >= idle:
                await self.close()

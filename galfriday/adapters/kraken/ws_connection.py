"""One open WebSocket to a Kraken v2 endpoint: sending requests, receiving frames, and staying honest about
whether it is alive.

Liveness is judged on channel messages only (data, `heartbeat`, `status`): Kraken sends a heartbeat every
second on a subscribed connection with nothing else to say, so a connection that stays open but sends no
channel message for `silence_timeout` seconds is a zombie (Kraken acked, then went quiet). Pongs and acks do
not count: a keep-alive ping that resets an idle timer would hide exactly that case. A zombie is aborted (no
close handshake, which would wait on a peer that does not answer) and the reader ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from galfriday.adapters.kraken.ws_requests import PendingRequests, Reply
from galfriday.errors import InvalidValueError

__all__ = ["KrakenConnection", "LivenessPolicy"]

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


class LivenessPolicy:
    """`silence_timeout`: seconds without a channel message before the connection counts as dead;
    `ping_interval`: seconds between application-level pings (Kraken closes connections idle for a minute)."""

    __slots__ = ("ping_interval", "silence_timeout")

    def __init__(self, silence_timeout: float = 5.0, ping_interval: float = 10.0) -> None:
        for name, value in (("silence_timeout", silence_timeout), ("ping_interval", ping_interval)):
            if not value > 0:
                raise InvalidValueError(name, value, "a positive number of seconds")
        self.silence_timeout = silence_timeout
        self.ping_interval = ping_interval


class KrakenConnection:
    """A connected WebSocket (public or private endpoint). `frames()` yields text frames until it closes."""

    def __init__(self, ws: ClientConnection, url: str, *, private: bool) -> None:
        self.ws = ws
        self.url = url
        self.private = private
        self.requests = PendingRequests()
        self.last_alive = time.monotonic()
        self.silent_for: float | None = None
        """Set when the watchdog aborted the connection for silence: how long it had been quiet."""

    def __repr__(self) -> str:
        return f"KrakenConnection({self.url!r}, private={self.private})"

    @classmethod
    async def open(cls, url: str, *, private: bool, open_timeout: float = 10.0) -> KrakenConnection:
        """Connect (protocol-level pings off: liveness is judged on Kraken's heartbeats)."""
        ws = await connect(
            url, open_timeout=open_timeout, ping_interval=None, close_timeout=1.0, max_size=1 << 24
        )
        return cls(ws, url, private=private)

    # --- sending ------------------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(_encode(message), text=True)

    async def request(
        self, method: str, params: dict[str, Any] | None = None, *, expected: int = 1, within: float = 10.0
    ) -> list[Reply]:
        """Send `method` with a fresh `req_id` and wait for its `expected` answers (`RequestTimeoutError`)."""
        req_id, future = self.requests.register(expected)
        message: dict[str, Any] = {"method": method, "req_id": req_id}
        if params is not None:
            message["params"] = params
        try:
            await self.send(message)
        except ConnectionClosed:
            self.requests.fail_all("the connection closed before the request was sent")
        return await self.requests.wait(req_id, future, within)

    # --- receiving ----------------------------------------------------------------------------------

    async def frames(self) -> AsyncIterator[str]:
        """Text frames as they arrive; ends when the connection closes, however it closes."""
        ws = self.ws
        try:
            while True:
                frame = await ws.recv()
                yield frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        except ConnectionClosed:
            return

    def alive(self) -> None:
        """A channel message arrived."""
        self.last_alive = time.monotonic()

    async def watch(self, policy: LivenessPolicy, reading_paused: Callable[[], bool]) -> None:
        """Ping every `ping_interval`; abort when no channel message came for `silence_timeout` seconds.

        While `reading_paused()` (the reader waits for a slow consumer) silence is ours, not Kraken's.
        """
        step = min(policy.silence_timeout, policy.ping_interval) / 4
        next_ping = time.monotonic() + policy.ping_interval
        while True:
            await asyncio.sleep(step)
            now = time.monotonic()
            if reading_paused():
                self.last_alive = now
                continue
            quiet = now - self.last_alive
            if quiet > policy.silence_timeout:
                self.silent_for = quiet
                log.warning(
                    "Kraken %s: no channel message for %.1f s; dropping the connection", self.url, quiet
                )
                self.abort()
                return
            if now >= next_ping:
                next_ping = now + policy.ping_interval
                with contextlib.suppress(ConnectionClosed):
                    await self.send({"method": "ping", "req_id": self.requests.next_id()})

    # --- ending -------------------------------------------------------------------------------------

    def abort(self) -> None:
        """Drop the TCP connection at once; the reader sees it closed."""
        transport = self.ws.transport
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        """Close cleanly if the peer answers within the close timeout, else drop it."""
        try:
            await asyncio.wait_for(self.ws.close(), 2.0)
        except (TimeoutError, OSError):
            self.abort()
        self.requests.fail_all("the connection closed")

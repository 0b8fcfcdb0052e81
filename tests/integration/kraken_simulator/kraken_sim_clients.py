"""Plain clients the simulator tests drive it with: aiohttp for REST (signed with the adapter's
`signing.sign`) and the `websockets` library for WebSocket v2."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
from websockets.asyncio.client import ClientConnection, connect

from galfriday.adapters.kraken.signing import sign
from galfriday.testing.kraken_simulator.wire import dumps

KEY = "sim-api-key"
SECRET = base64.b64encode(b"simulator-secret" * 4).decode()
BALANCES = {"USD": "100000", "BTC": "2", "DOGE": "100000"}

Message = dict[str, Any]


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


class Rest:
    """A minimal Kraken REST client: form or JSON bodies, a strictly increasing nonce, API-Sign."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, key: str = KEY, secret: str = SECRET
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.key = key
        self.secret = secret
        self._nonce = time.time_ns()

    def next_nonce(self) -> int:
        self._nonce += 1
        return self._nonce

    async def public(self, method: str, **params: Any) -> Any:
        async with self.session.get(f"{self.base_url}/0/public/{method}", params=params) as response:
            assert response.status == 200
            return loads(await response.read())

    async def raw_private(
        self,
        method: str,
        params: dict[str, Any],
        *,
        as_json: bool = False,
        key: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        nonce: int | str | None = None,
    ) -> tuple[int, Any]:
        path = f"/0/private/{method}"
        nonce = self.next_nonce() if nonce is None else nonce
        body_params = {"nonce": nonce, **params}
        if as_json:
            body = json.dumps(body_params)
            content_type = "application/json"
        else:
            body = urlencode(body_params)
            content_type = "application/x-www-form-urlencoded"
        headers = {
            "API-Key": self.key if key is None else key,
            "API-Sign": signature or sign(path, body, nonce, secret or self.secret),
            "Content-Type": content_type,
        }
        async with self.session.post(self.base_url + path, data=body.encode(), headers=headers) as response:
            return response.status, loads(await response.read())

    async def private(self, method: str, **params: Any) -> Any:
        status, payload = await self.raw_private(method, params)
        assert status == 200
        return payload

    async def result(self, method: str, **params: Any) -> Any:
        payload = await self.private(method, **params)
        assert payload["error"] == [], payload
        return payload["result"]

    async def token(self) -> str:
        return str((await self.result("GetWebSocketsToken"))["token"])


class Ws:
    """A `websockets` connection that decodes frames with exact Decimals."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._req_id = 0

    async def send(self, message: Message) -> int:
        self._req_id += 1
        message.setdefault("req_id", self._req_id)
        await self.connection.send(dumps(message))
        return int(message["req_id"])

    async def recv(self, within: float = 2.0) -> Message:
        return loads(await asyncio.wait_for(self.connection.recv(), within))  # type: ignore[no-any-return]

    async def until(self, predicate: Callable[[Message], bool], within: float = 3.0) -> Message:
        """The first message matching `predicate`, skipping others (heartbeats, other channels)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("no matching message")
            message = await self.recv(remaining)
            if predicate(message):
                return message

    async def collect(self, channel: str, count: int, within: float = 3.0) -> list[Message]:
        return [await self.until(lambda m: m.get("channel") == channel, within) for _ in range(count)]

    async def subscribe(self, params: dict[str, Any]) -> Message:
        """Subscribe and return the (first) ack."""
        req_id = await self.send({"method": "subscribe", "params": params})
        return await self.until(lambda m: m.get("req_id") == req_id)

    async def quiet(self, seconds: float) -> list[Message]:
        """Every non-heartbeat message received within `seconds`."""
        found = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                message = await self.recv(remaining)
            except TimeoutError:
                break
            if message.get("channel") != "heartbeat":
                found.append(message)
        return found


async def open_ws(url: str) -> Ws:
    """Connect and consume the `status` greeting."""
    ws = Ws(await connect(url, ping_interval=None))
    greeting = await ws.recv()
    assert greeting["channel"] == "status"
    return ws


async def subscribe_executions(ws: Ws, rest: Rest, **options: Any) -> Message:
    """Subscribe `executions` with a fresh token; returns the ack."""
    ack = await ws.subscribe({"channel": "executions", "token": await rest.token(), **options})
    assert ack["success"] is True, ack
    return ack

"""A small in-test Kraken REST server on 127.0.0.1 that checks every signature with our `verify()`.

Answers come from the documented samples unless a test queues its own: a JSON payload, or an async
callable `(request, form) -> web.StreamResponse` for failures (status codes, stalls, dropped connections).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from galfriday.adapters.kraken.rest import KrakenRestClient, OrderLookupPolicy
from galfriday.adapters.kraken.rest_transport import RetryPolicy
from galfriday.adapters.kraken.signing import verify
from galfriday.adapters.memory.clock import ManualClock
from galfriday.config import Secret

SAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "unit" / "kraken" / "kraken_rest_samples.json").read_text()
)

API_KEY = "test-public-key-NEVER-LOGGED-7f3a"
API_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="

Behaviour = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]

DEFAULTS: dict[str, Any] = {
    "Time": SAMPLES["time"],
    "SystemStatus": SAMPLES["system_status"],
    "Assets": SAMPLES["assets_constructed"],
    "AssetPairs": SAMPLES["asset_pairs_constructed"],
    "Balance": SAMPLES["balance"],
    "BalanceEx": SAMPLES["balance_ex"],
    "OpenOrders": SAMPLES["open_orders"],
    "ClosedOrders": SAMPLES["closed_orders"],
    "QueryOrders": SAMPLES["query_orders"],
    "TradesHistory": SAMPLES["trades_history"],
    "AddOrder": SAMPLES["add_order"],
    "CancelOrder": SAMPLES["cancel_order"],
    "CancelAllOrdersAfter": SAMPLES["cancel_all_orders_after"],
    "GetWebSocketsToken": SAMPLES["websockets_token"],
}


class Call:
    """One request as the server saw it."""

    def __init__(self, method: str, form: dict[str, str], headers: dict[str, str], query: dict[str, str]):
        self.method = method
        self.form = form
        self.headers = headers
        self.query = query


class FakeKraken:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.queued: dict[str, deque[Any]] = defaultdict(deque)
        self.last_nonce = 0
        self.refused: list[str] = []
        self.base_url = ""

    def queue(self, method: str, *answers: Any) -> None:
        """Answer the next calls of `method` with these, in order, then fall back to the defaults."""
        self.queued[method].extend(answers)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.path.rsplit("/", 1)[-1]
        form: dict[str, str] = {}
        if request.path.startswith("/0/private/"):
            body = await request.read()
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            nonce = form.get("nonce", "")
            signature = request.headers.get("API-Sign", "")
            if request.headers.get("API-Key") != API_KEY or not verify(
                request.path, body, nonce, API_SECRET, signature
            ):
                self.refused.append("EAPI:Invalid signature")
                return web.json_response({"error": ["EAPI:Invalid signature"]})
            if int(nonce) <= self.last_nonce:
                self.refused.append("EAPI:Invalid nonce")
                return web.json_response({"error": ["EAPI:Invalid nonce"]})
            self.last_nonce = int(nonce)
        self.calls.append(Call(method, form, dict(request.headers), dict(request.query)))
        answer = self.queued[method].popleft() if self.queued[method] else DEFAULTS.get(method)
        if callable(answer):
            behaviour: Behaviour = answer
            return await behaviour(request, form)
        if answer is None:
            return web.json_response({"error": ["EGeneral:Unknown method"]})
        return web.json_response(answer)


def status(code: int, text: str = "<html>bad gateway</html>") -> Behaviour:
    async def answer(_request: web.Request, _form: dict[str, str]) -> web.StreamResponse:
        return web.Response(status=code, text=text)

    return answer


def stall(seconds: float, then: Any = None) -> Behaviour:
    """Answer after `seconds` (longer than the client's timeout, so the client sees no answer)."""

    async def answer(_request: web.Request, _form: dict[str, str]) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response(then or {"error": [], "result": {}})

    return answer


def drop() -> Behaviour:
    """Close the connection without answering."""

    async def answer(request: web.Request, _form: dict[str, str]) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    return answer


def raw(text: str) -> Behaviour:
    async def answer(_request: web.Request, _form: dict[str, str]) -> web.StreamResponse:
        return web.Response(status=200, text=text, content_type="application/json")

    return answer


def error(*messages: str) -> dict[str, Any]:
    return {"error": list(messages)}


def ok(result: Any) -> dict[str, Any]:
    return {"error": [], "result": result}


START = datetime(2023, 7, 6, 18, 0, tzinfo=UTC)


@asynccontextmanager
async def kraken_fake(
    *, client_timeout: float = 2.0, api_key: str | None = API_KEY, api_secret: str | None = API_SECRET
) -> AsyncIterator[tuple[FakeKraken, KrakenRestClient]]:
    """A running fake and a started client against it (a manual clock: backoff waits take no real time)."""
    fake = FakeKraken()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.base_url = f"http://{host}:{port}"
    client = KrakenRestClient(
        fake.base_url,
        Secret(api_key) if api_key else None,
        Secret(api_secret) if api_secret else None,
        timeout=client_timeout,
        clock=ManualClock(START),
        retry=RetryPolicy(attempts=3, base_delay=0.1, max_delay=1.0),
        lookup=OrderLookupPolicy(delays=(0.5, 1.0)),
        rng=random.Random(7),
    )
    try:
        async with client:
            yield fake, client
    finally:
        await runner.cleanup()

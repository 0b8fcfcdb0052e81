"""A loopback stand-in for a Slack incoming webhook: it answers as Slack documents (200 `ok`, 400
`invalid_payload`, 403 `invalid_token`, 404 `no_service`, 429 with Retry-After, 5xx), one scripted answer
per request, and keeps every body it received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

TOKEN_PATH = "/services/T000/B000/XXXXSECRETTOKENXXXX"


class FakeSlack:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.script: list[tuple[int, str, dict[str, str]]] = []
        self.url = ""

    def answer(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        """Queue the answer to the next request (after the script runs out, every request gets `200 ok`)."""
        self.script.append((status, body, headers or {}))

    async def _webhook(self, request: web.Request) -> web.Response:
        if request.path != TOKEN_PATH:
            return web.Response(status=404, text="no_service")
        if request.content_type != "application/json":
            return web.Response(status=400, text="invalid_payload")
        self.received.append(await request.json())
        status, body, headers = self.script.pop(0) if self.script else (200, "ok", {})
        return web.Response(status=status, text=body, headers=headers)


@asynccontextmanager
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_post("/{tail:.*}", fake._webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}{TOKEN_PATH}"
    try:
        yield fake
    finally:
        await runner.cleanup()

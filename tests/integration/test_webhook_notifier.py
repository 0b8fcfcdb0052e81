"""The webhook notifier against a real aiohttp server on loopback: the notifier contract, retries, refusals,
timeouts, headers, and a URL token that never shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.webhook.notifier import WebhookDeliveryError, WebhookNotifier, alert_payload
from galfriday.adapters.webhook.plugin import make_webhook_notifier
from galfriday.config import Config
from galfriday.domain.alerts import Alert
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext
from galfriday.testing.notifier_contract import Delivered, NotifierContract, an_alert

TOKEN = "T0KEN-s3cr3t-9f8e7d"


class WebhookServer:
    """Records every POST body and headers; answers from `answers` (status, headers, delay), then 200."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answers: list[tuple[int, dict[str, str], float]] = []
        self.always: int | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.headers.append(dict(request.headers))
        status, headers, delay = self.answers.pop(0) if self.answers else (self.always or 200, {}, 0.0)
        if delay:
            await asyncio.sleep(delay)
        if 200 <= status < 300:
            self.bodies.append(body)
        return web.Response(status=status, headers=headers, text="ok" if status < 300 else "no")


@pytest_asyncio.fixture
async def server() -> AsyncIterator[WebhookServer]:
    state = WebhookServer()
    app = web.Application()
    app.router.add_post("/hooks/{token}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/hooks/{TOKEN}?key={TOKEN}"
    yield state
    await runner.cleanup()


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def as_alert(body: dict[str, Any]) -> Alert:
    return Alert(
        severity=body["severity"],
        title=body["title"],
        body=body["body"],
        occurred_at=datetime.fromisoformat(body["occurred_at"]),
        tags=tuple(body["tags"].items()),
    )


@pytest_asyncio.fixture
async def webhook(server: WebhookServer) -> AsyncIterator[WebhookNotifier]:
    notifier = WebhookNotifier(server.url, timeout=2, attempts=3, backoff=0.01, sleep=no_wait)
    await notifier.start()
    yield notifier
    await notifier.close()


class TestWebhookNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self, webhook: WebhookNotifier) -> WebhookNotifier:
        return webhook

    @pytest.fixture
    def delivered(self, server: WebhookServer) -> Delivered:
        async def alerts() -> Sequence[Alert]:
            return [as_alert(body) for body in server.bodies]

        return alerts

    @pytest.fixture
    def break_delivery(self, server: WebhookServer) -> Callable[[], None]:
        def fail() -> None:
            server.always = 503

        return fail

    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return (TOKEN,)


async def test_the_body_is_the_alert_as_json(webhook: WebhookNotifier, server: WebhookServer) -> None:
    await webhook.notify(an_alert())
    assert server.bodies == [alert_payload(an_alert())]
    assert server.bodies[0]["source"] == "galfriday"


async def test_a_server_error_is_retried_until_delivered(
    webhook: WebhookNotifier, server: WebhookServer
) -> None:
    server.answers = [(500, {}, 0.0), (503, {}, 0.0)]
    await webhook.notify(an_alert())
    assert len(server.headers) == 3
    assert len(server.bodies) == 1


async def test_retries_are_bounded(webhook: WebhookNotifier, server: WebhookServer) -> None:
    server.always = 502
    with pytest.raises(WebhookDeliveryError) as raised:
        await webhook.notify(an_alert())
    assert (raised.value.status, raised.value.attempts) == (502, 3)
    assert len(server.headers) == 3


async def test_a_refusal_is_not_retried(webhook: WebhookNotifier, server: WebhookServer) -> None:
    server.answers = [(400, {}, 0.0)]
    with pytest.raises(WebhookDeliveryError) as raised:
        await webhook.notify(an_alert())
    assert (raised.value.status, raised.value.attempts) == (400, 1)
    assert len(server.headers) == 1


async def test_a_slow_answer_times_out_and_is_retried(server: WebhookServer) -> None:
    notifier = WebhookNotifier(server.url, timeout=0.2, attempts=2, backoff=0, sleep=no_wait)
    server.answers = [(200, {}, 1.0)]
    try:
        await notifier.notify(an_alert())
    finally:
        await notifier.close()
    assert len(server.headers) == 2


async def test_retry_after_is_honoured(server: WebhookServer) -> None:
    waited: list[float] = []

    async def record(seconds: float) -> None:
        waited.append(seconds)

    notifier = WebhookNotifier(server.url, attempts=2, backoff=0.01, sleep=record)
    server.answers = [(429, {"Retry-After": "7"}, 0.0)]
    try:
        await notifier.notify(an_alert())
    finally:
        await notifier.close()
    assert waited == [7.0]


async def test_no_server_at_all_fails_without_naming_the_url() -> None:
    notifier = WebhookNotifier(f"http://127.0.0.1:9/hooks/{TOKEN}", timeout=1, attempts=2, sleep=no_wait)
    try:
        with pytest.raises(WebhookDeliveryError) as raised:
            await notifier.notify(an_alert())
    finally:
        await notifier.close()
    assert raised.value.status is None
    assert TOKEN not in str(raised.value)


async def test_the_plugin_reads_the_url_and_token_from_the_environment(server: WebhookServer) -> None:
    ctx = AdapterContext(config=Config(), settings={"attempts": 1}, clock=SystemClock())
    notifier = make_webhook_notifier(
        ctx, {"GALFRIDAY_WEBHOOK_URL": server.url, "GALFRIDAY_WEBHOOK_TOKEN": "abc"}
    )
    try:
        await notifier.notify(an_alert())
    finally:
        await notifier.close()
    assert server.headers[0]["Authorization"] == "Bearer abc"
    assert "abc" not in repr(notifier)
    assert TOKEN not in repr(notifier)


def test_the_plugin_refuses_a_url_in_the_configuration_file_without_showing_it() -> None:
    ctx = AdapterContext(config=Config(), settings={"url": f"https://x.example/{TOKEN}"}, clock=SystemClock())
    with pytest.raises(ConfigurationError) as raised:
        make_webhook_notifier(ctx, {})
    assert TOKEN not in str(raised.value)


def test_the_plugin_reads_the_url_from_a_file(tmp_path: Any) -> None:
    path = tmp_path / "url"
    path.write_text(f"https://hooks.example/{TOKEN}\n")
    ctx = AdapterContext(config=Config(), settings={"url_file": str(path)}, clock=SystemClock())
    assert (
        repr(make_webhook_notifier(ctx, {}))
        == "WebhookNotifier(url='https://hooks.example/********', attempts=3)"
    )


def test_a_url_that_is_not_http_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError) as raised:
        WebhookNotifier(f"ftp://x/{TOKEN}")
    assert TOKEN not in str(raised.value)

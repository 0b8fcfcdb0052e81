"""The runtime's HTTP endpoint (aiohttp): `/health` as JSON (503 when unhealthy) and `/metrics` for Prometheus."""

from __future__ import annotations

import logging

from aiohttp import web

from galfriday.errors import StartupError
from galfriday.runtime.health import HealthCheck
from galfriday.runtime.metrics import CONTENT_TYPE, RuntimeMetrics

log = logging.getLogger(__name__)


class HttpEndpoint:
    """Serves `/health` and `/metrics` on `host:port` (port 0 picks a free one; `port` tells which)."""

    def __init__(self, health: HealthCheck, metrics: RuntimeMetrics, *, host: str, port: int) -> None:
        self._health = health
        self._metrics = metrics
        self._host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._serve_health)
        app.router.add_get("/metrics", self._serve_metrics)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise StartupError(
                f"cannot serve /health and /metrics on {self._host}:{self._requested_port} ({exc.strerror}); "
                "choose another [runtime] http_host/http_port (GALFRIDAY_RUNTIME_HTTP_PORT; 0 picks a free port)"
            ) from None
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("serving /health and /metrics on %s", self.url)

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _serve_health(self, request: web.Request) -> web.Response:
        report = await self._health.report()
        return web.json_response(report.document(), status=200 if report.healthy else 503)

    async def _serve_metrics(self, request: web.Request) -> web.Response:
        body = self._metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

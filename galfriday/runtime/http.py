"""The runtime's HTTP endpoint (aiohttp): `/health` as JSON (503 when unhealthy), `/metrics` for Prometheus and
`POST /reconcile`, which runs the process's reconciliation now and answers its report (200 when the run succeeded
or left items for review, 500 when it failed, 409 while a run is under way, 503 while stopping).

It binds to `[runtime] http_host` (127.0.0.1 by default): whoever can reach it can ask for a reconciliation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from galfriday.domain.reconciliation_audit import RunStatus
from galfriday.errors import StartupError
from galfriday.runtime.health import HealthCheck
from galfriday.runtime.metrics import CONTENT_TYPE, RuntimeMetrics
from galfriday.runtime.reconciliation_loop import ReconciliationBusyError, ReconciliationStoppingError
from galfriday.services.reconciliation import ReconciliationReport

log = logging.getLogger(__name__)


class HttpEndpoint:
    """Serves `/health`, `/metrics` and (given `reconcile`) `POST /reconcile` on `host:port` (port 0 picks a free
    one; `port` tells which). `stopping` tells when to refuse a reconciliation with 503."""

    def __init__(
        self,
        health: HealthCheck,
        metrics: RuntimeMetrics,
        *,
        host: str,
        port: int,
        reconcile: Callable[[], Awaitable[ReconciliationReport]] | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._health = health
        self._metrics = metrics
        self._reconcile = reconcile
        self._stopping = stopping
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
        if self._reconcile is not None:
            app.router.add_post("/reconcile", self._serve_reconcile)
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

    async def _serve_reconcile(self, request: web.Request) -> web.Response:
        if self._reconcile is None or self._stopping():
            return web.json_response({"error": "the process is stopping"}, status=503)
        try:
            report = await self._reconcile()
        except ReconciliationStoppingError as exc:
            return web.json_response({"error": str(exc)}, status=503)
        except ReconciliationBusyError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        log.info("reconciliation asked for over HTTP: %s", report.status.value)
        return web.json_response(report.document(), status=500 if report.status is RunStatus.FAILED else 200)

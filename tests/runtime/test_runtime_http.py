"""`/health` and `/metrics` over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from runtime_fixtures import buy_and_get_filled, memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.app import App
from galfriday.domain.reconciliation_audit import ReconciliationRun
from galfriday.errors import StartupError
from galfriday.runtime.process import Runtime


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def test_health_is_200_with_the_stream_the_store_the_gates_and_every_component() -> None:
    async with running_runtime() as runtime:
        await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")
        await eventually(lambda: runtime.recovery.gate.is_open, "the start-up backfill done")
        status, _, text = await get(f"{runtime.http.url}/health")
    assert status == 200
    body = json.loads(text)
    assert body["healthy"] is True
    assert body["stream"]["healthy"] is True
    assert body["store"] == {"reachable": True, "error": None}
    assert body["order_gate"] == {"open": True, "holds": {}}
    assert body["components"] == {
        "stream-recovery": "running",
        "prediction-log": "running",
        "deadman": "running",
        "reconciliation": "running",
        "retention": "running",
        "order-intake": "running",
    }


async def test_health_names_the_latest_reconciliation_run() -> None:
    async with running_runtime() as runtime:
        await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")
        startup = runtime.reconciliation.reports[-1].run
        assert startup is not None
        _status, _, text = await get(f"{runtime.http.url}/health")
        later = ReconciliationRun(
            id="rec-later",
            kind="manual",
            status="partial",
            started_at=startup.started_at + timedelta(seconds=1),
            finished_at=startup.started_at + timedelta(seconds=2),
            discrepancies_found=1,
            auto_corrected=0,
            manual_review_required=1,
        )
        async with runtime.app.store.unit_of_work() as uow:
            await uow.reconciliations.add_run(later)
            await uow.commit()
        _, _, text_after = await get(f"{runtime.http.url}/health")
    assert json.loads(text)["last_reconciliation"] == {
        "id": startup.id,
        "kind": "startup",
        "status": "success",
        "started_at": startup.started_at.isoformat(),
        "finished_at": startup.finished_at.isoformat(),
        "discrepancies_found": 0,
    }
    assert json.loads(text_after)["last_reconciliation"]["id"] == "rec-later"


async def test_health_is_503_while_the_stream_is_disconnected() -> None:
    async with running_runtime() as runtime:
        runtime.app.exchange.disconnect()
        async with aiohttp.ClientSession() as session, session.get(f"{runtime.http.url}/health") as response:
            assert response.status == 503
            body = await response.json()
    assert body["healthy"] is False
    assert body["stream"]["reason"] == "disconnected"
    assert body["order_gate"]["open"] is False


async def test_health_is_503_when_the_store_is_unreachable() -> None:
    async with running_runtime() as runtime:
        await runtime.app.store.close()
        status, _, text = await get(f"{runtime.http.url}/health")
        await runtime.app.store.start()
    assert status == 503
    assert '"reachable": false' in text


async def test_metrics_are_prometheus_text_with_the_processed_messages() -> None:
    async with running_runtime() as runtime:
        app = runtime.app
        await buy_and_get_filled(app.exchange, "buy-1", app.clock.now())
        await eventually(lambda: runtime.intake.applied >= 2, "the fill applied")
        status, content_type, text = await get(f"{runtime.http.url}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(text)}
    processed = {s.labels["kind"]: s.value for s in families["galfriday_messages_processed"].samples}
    assert processed["exchange.execution"] == 1
    for name in (
        "galfriday_stream_reconnects",
        "galfriday_gaps_backfilled",
        "galfriday_discrepancies",
        "galfriday_prediction_latency_seconds",
        "galfriday_intake_queue_depth",
        "galfriday_stream_healthy",
    ):
        assert name in families, name
    assert families["galfriday_stream_healthy"].samples[0].value == 1


async def test_health_is_503_and_says_stopping_while_the_runtime_shuts_down() -> None:
    class SlowToStop:
        name = "strategy"

        def __init__(self) -> None:
            self.release = asyncio.Event()

        async def run(self) -> None:
            await self.release.wait()

        async def stop(self) -> None:
            await self.release.wait()  # finishing its work: the test decides when it is done

    strategy = SlowToStop()
    async with running_runtime(extra_components=[strategy]) as runtime:
        stopping = asyncio.create_task(runtime.stop(10))
        await eventually(lambda: runtime.stopping, "the shutdown under way")
        status, _, text = await get(f"{runtime.http.url}/health")
        strategy.release.set()
        report = await stopping
    assert status == 503
    assert json.loads(text)["stopping"] is True
    assert report.clean


async def test_a_port_already_in_use_is_a_startup_error_that_says_what_to_change() -> None:
    async with running_runtime() as first:
        taken = first.http.port
        assert taken is not None
        async with App.from_config(memory_config(http_port=taken)) as app:
            second = Runtime(app)
            with pytest.raises(StartupError, match=rf"127.0.0.1:{taken}.*http_port"):
                await second.start()

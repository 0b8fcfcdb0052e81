"""The runtime on the memory adapters: exchange orders and fills reach the store; a crashed component comes
back; shutdown applies everything the intake accepted."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from runtime_fixtures import SYMBOL, buy_and_get_filled, memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.domain.order_status import OrderStatus
from galfriday.runtime import ComponentState


async def test_orders_and_fills_from_the_exchange_reach_the_store() -> None:
    async with running_runtime() as runtime:
        app = runtime.app
        await buy_and_get_filled(app.exchange, "buy-1", app.clock.now(), "0.25")
        await buy_and_get_filled(app.exchange, "buy-2", app.clock.now(), "0.5")

        async def position() -> Decimal:
            async with app.store.unit_of_work() as uow:
                found = await uow.positions.get(SYMBOL)
            return found.quantity if found else Decimal(0)

        deadline = asyncio.get_running_loop().time() + 10
        while await position() != Decimal("0.75"):
            assert asyncio.get_running_loop().time() < deadline, "the fills never reached the position"
            await asyncio.sleep(0.01)
        async with app.store.unit_of_work() as uow:
            orders = await uow.orders.list_updated_since(app.clock.now().replace(year=2000))
            executions = await uow.executions.since(app.clock.now().replace(year=2000))
        assert {o.status for o in orders} == {OrderStatus.FILLED}
        assert sorted(e.quantity for e in executions) == [Decimal("0.25"), Decimal("0.5")]
        processed = runtime.metrics.registry.get_sample_value(
            "galfriday_messages_processed_total", {"kind": "exchange.execution"}
        )
        assert processed == 2


async def test_a_crashed_component_is_restarted_and_health_shows_it_running_again() -> None:
    class CrashesOnce:
        name = "model-monitoring"

        def __init__(self) -> None:
            self.runs = 0
            self._stop = asyncio.Event()

        async def run(self) -> None:
            self.runs += 1
            if self.runs == 1:
                raise ConnectionError("model registry unreachable")
            await self._stop.wait()

        async def stop(self) -> None:
            self._stop.set()

    component = CrashesOnce()
    async with running_runtime(
        memory_config(restart_initial_seconds=0.05), extra_components=[component]
    ) as rt:
        await eventually(lambda: component.runs == 2, "the second run")
        await eventually(
            lambda: rt.supervisor.states()["model-monitoring"] is ComponentState.RUNNING, "running"
        )
        assert (await rt.health.report()).healthy
        restarts = rt.metrics.registry.get_sample_value(
            "galfriday_component_restarts_total", {"component": "model-monitoring"}
        )
        assert restarts == 1


async def test_shutdown_applies_every_event_the_intake_accepted() -> None:
    async with running_runtime(memory_config(intake_queue_size=8)) as runtime:
        app = runtime.app
        async with app.store.unit_of_work():  # the store is busy: events pile up in the intake queue
            for n in range(40):
                await buy_and_get_filled(app.exchange, f"buy-{n}", app.clock.now(), "0.01")
            await eventually(lambda: runtime.intake.backlog >= 8, "a full intake queue")
            stopping = asyncio.create_task(runtime.stop(10))
            await asyncio.sleep(0.05)
            assert not stopping.done()  # waits for the accepted events
        report = await asyncio.wait_for(stopping, 10)
        assert report.clean
        assert report.accepted == report.applied >= 8
        async with app.store.unit_of_work() as uow:
            stored = await uow.executions.since(app.clock.now().replace(year=2000))
        applied_executions = runtime.metrics.registry.get_sample_value(
            "galfriday_messages_processed_total", {"kind": "exchange.execution"}
        )
        assert len(stored) == applied_executions > 0

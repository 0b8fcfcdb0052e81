"""The runtime on the memory adapters: exchange orders and fills reach the store; a crashed component comes
back; shutdown applies everything the intake accepted."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import attrs
from runtime_fixtures import SYMBOL, buy_and_get_filled, memory_config, running_runtime
from runtime_waiting import eventually

from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.app import App
from galfriday.domain.executions import OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.runtime import ComponentState
from galfriday.runtime.process import Runtime
from galfriday.services.order_tracking import OrderTracker


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
    notifier = MemoryNotifier()
    async with running_runtime(
        memory_config(restart_initial_seconds=0.05),
        overrides={"notifier": notifier},
        extra_components=[component],
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
    [alert] = notifier.alerts
    assert alert.title == "galfriday component model-monitoring crashed"
    assert alert.body.startswith("ConnectionError: model registry unreachable; it is restarted")


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
        epoch = app.clock.now().replace(year=2000)
        async with app.store.unit_of_work() as uow:
            stored = [e.exec_id for e in await uow.executions.since(epoch)]
        venue = [e.exec_id for e in await app.exchange.trades_since(epoch)]
        applied_executions = runtime.metrics.registry.get_sample_value(
            "galfriday_messages_processed_total", {"kind": "exchange.execution"}
        )
        # the intake applied a prefix of the stream, the start-up backfill a prefix of the venue's history
        assert applied_executions is not None
        assert len(stored) >= applied_executions > 0
        assert set(stored) == set(venue[: len(stored)])


async def position_of(runtime: Runtime) -> Decimal:
    async with runtime.app.store.unit_of_work() as uow:
        found = await uow.positions.get(SYMBOL)
    return found.quantity if found else Decimal(0)


async def wait_for_position(runtime: Runtime, quantity: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while await position_of(runtime) != Decimal(quantity):
        assert asyncio.get_running_loop().time() < deadline, f"the position never reached {quantity}"
        await asyncio.sleep(0.01)


async def test_fills_made_before_the_runtime_started_arrive_through_the_startup_backfill() -> None:
    async with App.from_config(memory_config()) as app:
        tracker = OrderTracker(app.store, app.event_bus)  # our order, placed while nobody reads the stream
        await buy_and_get_filled(app.exchange, "before-1", app.clock.now(), "0.1", tracker=tracker)
        runtime = Runtime(app)
        await runtime.start()
        try:
            await wait_for_position(runtime, "0.1")
            await eventually(lambda: runtime.recovery.gate.is_open, "the order gate open after the backfill")
        finally:
            await runtime.stop(5)


async def test_fills_missed_while_disconnected_are_backfilled_after_the_reconnect_and_counted() -> None:
    async with running_runtime() as runtime:
        app = runtime.app
        await eventually(lambda: runtime.recovery.gate.is_open, "caught up after start")
        app.exchange.disconnect()
        await buy_and_get_filled(app.exchange, "missed-1", app.clock.now(), "0.2", tracker=runtime.tracker)
        await eventually(lambda: not runtime.recovery.gate.is_open, "the gate closed while disconnected")
        app.exchange.reconnect()
        await wait_for_position(runtime, "0.2")
        await eventually(lambda: runtime.recovery.gate.is_open, "the gate open again")
        backfilled = runtime.metrics.registry.get_sample_value("galfriday_gaps_backfilled_total")
        assert backfilled == 1
        await eventually(
            lambda: any(r.kind is RunKind.RECONNECT for r in runtime.reconciliation.reports),
            "a reconciliation over the loss",
        )


async def test_the_deadmans_switch_is_armed_while_an_order_rests() -> None:
    async with running_runtime(memory_config(deadman_timeout_seconds=60)) as runtime:
        app = runtime.app
        resting = Order.create(
            client_order_id="rest-1",
            symbol=SYMBOL,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=Decimal("0.1"),
            limit_price=Decimal("40000"),
            at=app.clock.now(),
        )
        await app.exchange.place_order(resting)
        await eventually(lambda: runtime.intake.applied >= 1, "the order report applied")
        runtime.deadman.poke()
        await eventually(lambda: runtime.deadman.fires_at is not None, "the switch armed")


async def test_an_execution_for_the_wrong_order_is_skipped_alerted_and_reconciled_and_the_stream_flows_on() -> (
    None
):
    notifier = MemoryNotifier()
    async with running_runtime(overrides={"notifier": notifier}) as runtime:
        app = runtime.app
        await eventually(lambda: bool(runtime.reconciliation.reports), "the start-up reconciliation")
        runs_before = len(runtime.reconciliation.reports)
        ours = Order.create(
            client_order_id="collision",
            symbol=SYMBOL,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=Decimal("0.1"),
            limit_price=Decimal("40000"),
            at=app.clock.now(),
        )
        await runtime.tracker.record_placed(ours)
        # placed elsewhere under the same client order id, on the other side: its fill cannot be ours
        theirs = attrs.evolve(ours, side=OrderSide.SELL, limit_price=Decimal("49000"))
        await app.exchange.add_liquidity(SYMBOL, OrderSide.BUY, Decimal("49000"), Decimal("0.1"))
        await app.exchange.place_order(theirs)
        await eventually(lambda: runtime.intake.rejected == 1, "the mismatched fill rejected")
        await eventually(
            lambda: len(runtime.reconciliation.reports) > runs_before, "a reconciliation after it"
        )
        await buy_and_get_filled(app.exchange, "after-1", app.clock.now(), "0.2", tracker=runtime.tracker)
        await wait_for_position(runtime, "0.2")  # the stream flows on
        report = await runtime.stop(10)
    assert report.clean
    assert report.rejected == 1
    assert "; 1 rejected" in report.summary()
    assert notifier.alerts[0].title == "galfriday skipped a exchange.execution event it could not apply"
    assert notifier.alerts[0].body.startswith("ExecutionMismatchError")

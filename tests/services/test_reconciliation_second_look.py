"""Reconciling while the stream is busy: the store settles before it is read, and a discrepancy is acted on
only when a second look after `confirm_after_seconds` finds it again. A store that is merely behind by events
in flight gives no correction, no review, no alert and no halt: what it showed is reported as settled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from reconciliation_world import T0, drift_balance, exchange_orders, mirror, new_exchange, populate

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.adapters.memory.store import MemoryStore
from galfriday.config import config_from_mapping
from galfriday.domain.executions import Execution
from galfriday.domain.portfolio import replay_positions
from galfriday.domain.timestamps import EPOCH
from galfriday.domain.tolerance import TolerancePolicy
from galfriday.errors import ConfigurationError, InvalidValueError
from galfriday.reconcile_command import reconciliation_settings
from galfriday.services.reconciliation import HALT_KEY, ReconciliationService, ReconciliationSettings
from galfriday.services.trading_gate import TradingGate

D = Decimal


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest_asyncio.fixture
async def exchange(clock: ManualClock) -> FakeExchange:
    exchange = new_exchange(clock)
    await populate(exchange, clock)
    return exchange


@pytest_asyncio.fixture
async def store() -> MemoryStore:
    chosen = MemoryStore()
    await chosen.start()
    return chosen


async def in_flight_fills(exchange: FakeExchange, store: MemoryStore) -> list[Execution]:
    """Mirror the exchange into the store, except two fills still on their way through the stream."""
    trades = sorted(await exchange.trades_since(EPOCH), key=lambda t: (t.timestamp, t.exec_id))
    flying = trades[-2:]
    await mirror(exchange, store, withhold=[t.exec_id for t in flying])
    return flying


async def apply_fills(exchange: FakeExchange, store: MemoryStore, fills: Sequence[Execution]) -> None:
    """What the order intake does with the fills once it gets to them: fills, their orders, positions."""
    orders = {fill.order_id for fill in fills}
    async with store.unit_of_work() as uow:
        await uow.executions.add_many(list(fills))
        for report in await exchange_orders(exchange):
            if report.order_id in orders:
                await uow.orders.save(report)
        for position in replay_positions(await uow.executions.since(EPOCH)).values():
            await uow.positions.save(position)
        await uow.commit()


class Intake:
    """A `settle` barrier standing for the runtime's order intake: on its `on_call`th call (1 = before the
    first look, 2 = before the second) it runs `catch_up`, the events it had in flight."""

    def __init__(self, catch_up: Callable[[], Awaitable[object]], on_call: int) -> None:
        self.catch_up = catch_up
        self.on_call = on_call
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls == self.on_call:
            await self.catch_up()


def reconciler(
    exchange: FakeExchange,
    store: MemoryStore,
    clock: ManualClock,
    intake: Intake | None,
    *,
    gate: TradingGate,
    notifier: MemoryNotifier,
    confirm_after_seconds: float = 5,
) -> ReconciliationService:
    settings = ReconciliationSettings(policy=TolerancePolicy(), confirm_after_seconds=confirm_after_seconds)
    return ReconciliationService(exchange, store, notifier, clock, gate, settings, settle=intake)


async def adjustments_of(store: MemoryStore, run_id: str) -> list[object]:
    async with store.unit_of_work() as uow:
        return list(await uow.reconciliations.adjustments(run_id))


async def test_fills_in_flight_that_land_during_the_delay_settle_and_are_not_corrected(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    flying = await in_flight_fills(exchange, store)
    intake = Intake(lambda: apply_fills(exchange, store, flying), on_call=2)
    gate, notifier = TradingGate(), MemoryNotifier()
    report = await reconciler(exchange, store, clock, intake, gate=gate, notifier=notifier).run()
    assert report.outcomes == ()
    assert {f"fill:{f.exec_id}" for f in flying} <= {d.subject for d in report.settled}
    assert report.document()["settled"] == len(report.settled)
    assert gate.is_open
    assert notifier.alerts == []
    assert report.run is not None
    assert await adjustments_of(store, report.run.id) == []


async def test_a_balance_behind_the_stream_settles_instead_of_halting_trading(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    await mirror(exchange, store)
    await drift_balance(store, "ETH", D(-7))  # the update that restores it is still in flight
    intake = Intake(lambda: drift_balance(store, "ETH", D(7)), on_call=2)
    gate, notifier = TradingGate(), MemoryNotifier()
    report = await reconciler(exchange, store, clock, intake, gate=gate, notifier=notifier).run()
    assert report.manual_review == []
    assert [d.subject for d in report.settled] == ["balance:ETH"]
    assert not report.halted
    assert gate.is_open
    assert notifier.alerts == []


async def test_without_the_second_look_the_same_lag_halts_trading(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    await mirror(exchange, store)
    await drift_balance(store, "ETH", D(-7))
    intake = Intake(lambda: drift_balance(store, "ETH", D(7)), on_call=2)
    gate, notifier = TradingGate(), MemoryNotifier()
    service = reconciler(
        exchange, store, clock, intake, gate=gate, notifier=notifier, confirm_after_seconds=0
    )
    report = await service.run()
    assert [o.decision.discrepancy.subject for o in report.manual_review] == ["balance:ETH"]
    assert HALT_KEY in gate.reasons


async def test_a_real_discrepancy_is_confirmed_by_the_second_look_and_escalated(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    await mirror(exchange, store)
    await drift_balance(store, "ETH", D(7))
    intake = Intake(lambda: asyncio.sleep(0), on_call=2)
    gate, notifier = TradingGate(), MemoryNotifier()
    started = clock.now()
    report = await reconciler(exchange, store, clock, intake, gate=gate, notifier=notifier).run()
    assert [o.decision.discrepancy.subject for o in report.manual_review] == ["balance:ETH"]
    assert report.settled == ()
    assert report.halted
    assert HALT_KEY in gate.reasons
    assert len(notifier.alerts) == 1
    assert intake.calls == 2
    assert clock.now() - started >= timedelta(seconds=5)


async def test_only_the_confirmed_half_of_a_real_and_a_transient_discrepancy_is_acted_on(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    flying = await in_flight_fills(exchange, store)
    await drift_balance(store, "ETH", D(7))
    intake = Intake(lambda: apply_fills(exchange, store, flying), on_call=2)
    gate, notifier = TradingGate(), MemoryNotifier()
    report = await reconciler(exchange, store, clock, intake, gate=gate, notifier=notifier).run()
    assert [o.decision.discrepancy.subject for o in report.outcomes] == ["balance:ETH"]
    assert {f"fill:{f.exec_id}" for f in flying} <= {d.subject for d in report.settled}
    assert report.corrected == []
    assert HALT_KEY in gate.reasons


async def test_a_store_in_step_with_the_exchange_is_read_once_without_waiting(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    await mirror(exchange, store)
    intake = Intake(lambda: asyncio.sleep(0), on_call=1)
    started = clock.now()
    report = await reconciler(
        exchange, store, clock, intake, gate=TradingGate(), notifier=MemoryNotifier()
    ).run()
    assert report.outcomes == ()
    assert report.settled == ()
    assert intake.calls == 1
    assert clock.now() == started


async def test_settle_runs_before_the_store_is_read(
    exchange: FakeExchange, store: MemoryStore, clock: ManualClock
) -> None:
    flying = await in_flight_fills(exchange, store)
    intake = Intake(lambda: apply_fills(exchange, store, flying), on_call=1)
    gate, notifier = TradingGate(), MemoryNotifier()
    service = reconciler(
        exchange, store, clock, intake, gate=gate, notifier=notifier, confirm_after_seconds=0
    )
    report = await service.run()
    assert report.outcomes == ()
    assert report.settled == ()


def test_a_negative_confirmation_delay_is_refused_by_the_settings_and_the_config() -> None:
    with pytest.raises(InvalidValueError, match="confirm_after_seconds"):
        ReconciliationSettings(confirm_after_seconds=-1)
    with pytest.raises(ConfigurationError, match="confirm_after_seconds"):
        config_from_mapping({"reconciliation": {"confirm_after_seconds": -1}}, {})


def test_the_configured_delay_reaches_the_service_settings() -> None:
    section = config_from_mapping({"reconciliation": {"confirm_after_seconds": 0}}, {}).reconciliation
    assert reconciliation_settings(section).confirm_after_seconds == 0

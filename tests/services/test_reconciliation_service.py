"""The reconciliation service on the memory and SQLite stores, against the fake exchange: triggers, retries,
transactions, audit, the trading gate and alerts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio
from reconciliation_world import (
    T0,
    FlakyAccount,
    add_ghost_order,
    drift_balance,
    mirror,
    new_exchange,
    populate,
    positions_of,
    service,
)

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.alerts import Severity
from galfriday.domain.events import StreamRecoveryNeeded
from galfriday.domain.executions import Execution
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.domain.reconciliation_audit import RunKind, RunStatus
from galfriday.domain.tolerance import Tolerance, TolerancePolicy
from galfriday.errors import StoreError
from galfriday.ports.stores import Store
from galfriday.services.reconciliation import HALT_KEY, STARTUP_KEY
from galfriday.services.trading_gate import TradingGate

D = Decimal
LOOSE = TolerancePolicy(default=Tolerance(max_absolute=D(1_000_000)))


@pytest_asyncio.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    chosen: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "store.db")
    await chosen.start()
    yield chosen
    await chosen.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest_asyncio.fixture
async def exchange(clock: ManualClock) -> FakeExchange:
    exchange = new_exchange(clock)
    await populate(exchange, clock)
    return exchange


@pytest_asyncio.fixture
async def mirrored(exchange: FakeExchange, store: Store) -> Store:
    await mirror(exchange, store)
    return store


async def balance_of(store: Store, asset: str) -> Decimal:
    async with store.unit_of_work() as uow:
        balance = await uow.balances.get(asset)
    assert balance is not None
    return balance.total


async def runs_of(store: Store) -> list[Any]:
    async with store.unit_of_work() as uow:
        return await uow.reconciliations.recent_runs()


async def test_a_store_in_step_with_the_exchange_gives_an_empty_successful_run(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    report = await service(exchange, mirrored, clock).run()
    assert (report.status, report.outcomes) == (RunStatus.SUCCESS, ())
    [run] = await runs_of(mirrored)
    assert (run.kind, run.status, run.discrepancies_found, run.auto_corrected) == (
        RunKind.MANUAL,
        RunStatus.SUCCESS,
        0,
        0,
    )
    assert run.report["checkpoint"] == clock.now().isoformat()


async def test_fills_made_while_the_stream_was_down_are_imported_after_a_recovery_event(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    bus = MemoryEventBus(maxsize=10)
    reconciler = service(exchange, mirrored, clock)
    follower = asyncio.create_task(reconciler.follow_recovery(bus, runs=1))
    await asyncio.sleep(0)
    clock.advance(5)
    await exchange.trade("BTC/USD", "sell", D(99), D("0.25"))  # fills the rest of our open BTC buy O000004
    await bus.publish(
        StreamRecoveryNeeded.topic,
        StreamRecoveryNeeded(exchange="memory", reason="reconnect", since=T0, occurred_at=clock.now()),
    )
    await asyncio.wait_for(follower, 5)
    [run] = await runs_of(mirrored)
    assert run.kind is RunKind.RECONNECT
    async with mirrored.unit_of_work() as uow:
        order = await uow.orders.get_by_exchange_id("O000004")
        fills = await uow.executions.for_order("O000004")
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert sum(f.quantity for f in fills) == D("0.5")
    position = (await positions_of(mirrored))["BTC/USD"]
    assert position.quantity == D("1.125")  # 0.5 + 0.5 + 0.125 + 0.25 - 0.5, and the 0.25 imported


async def test_an_unknown_outcome_is_retried_with_backoff_then_the_run_succeeds(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    flaky = FlakyAccount(exchange, failures=2)
    started = clock.now()
    report = await service(flaky, mirrored, clock, retries=3, retry_backoff_seconds=0.5).run()
    assert report.status is RunStatus.SUCCESS
    assert (clock.now() - started).total_seconds() == pytest.approx(1.5)  # 0.5, then 1.0


async def test_an_outcome_still_unknown_after_the_retries_fails_the_run_and_changes_nothing(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    drifted = await balance_of(mirrored, "BTC") + D("0.1")
    await drift_balance(mirrored, "BTC", D("0.1"))
    await add_ghost_order(mirrored, 1, D(1), clock.now())
    notifier = MemoryNotifier()
    reconciler = service(FlakyAccount(exchange, failures=10), mirrored, clock, notifier=notifier, retries=2)
    report = await reconciler.run()
    assert report.status is RunStatus.FAILED
    assert "outcome unknown after 3 attempt(s)" in (report.error or "")
    assert await balance_of(mirrored, "BTC") == drifted
    async with mirrored.unit_of_work() as uow:
        ghost = await uow.orders.get("ghost-1")
    assert ghost is not None
    assert ghost.status is OrderStatus.NEW
    [run] = await runs_of(mirrored)
    assert (run.status, run.discrepancies_found, run.auto_corrected) == (RunStatus.FAILED, 0, 0)
    [alert] = notifier.alerts
    assert alert.severity is Severity.CRITICAL


class _RefusingAudit:
    async def add_run(self, run: Any) -> None:
        raise StoreError("disk full while appending the run")

    async def recent_runs(self, limit: int = 50) -> list[Any]:
        return []


class _AuditFailingStore:
    """The store, except that appending a run fails: the run's corrections must be rolled back with it."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def unit_of_work(self) -> Any:
        uow = self._store.unit_of_work()
        uow.reconciliations = _RefusingAudit()  # type: ignore[misc]
        return uow


async def test_a_run_whose_audit_cannot_be_written_changes_nothing(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    drifted = await balance_of(mirrored, "BTC") + D("0.1")
    await drift_balance(mirrored, "BTC", D("0.1"))
    report = await service(exchange, _AuditFailingStore(mirrored), clock, policy=LOOSE).run()  # type: ignore[arg-type]
    assert report.status is RunStatus.FAILED
    assert "disk full" in (report.error or "")
    assert await balance_of(mirrored, "BTC") == drifted


async def test_a_dry_run_reports_the_corrections_and_changes_and_records_nothing(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    drifted = await balance_of(mirrored, "BTC") + D("0.1")
    await drift_balance(mirrored, "BTC", D("0.1"))
    report = await service(exchange, mirrored, clock, policy=LOOSE).run(dry_run=True)
    assert [o.decision.discrepancy.subject for o in report.outcomes] == ["balance:BTC"]
    assert report.outcomes[0].decision.automatic
    assert report.run is None
    assert await balance_of(mirrored, "BTC") == drifted
    assert await runs_of(mirrored) == []


async def test_a_correction_is_audited_with_old_and_new_values(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    before = await balance_of(mirrored, "BTC")
    await drift_balance(mirrored, "BTC", D("0.1"))
    report = await service(exchange, mirrored, clock, policy=LOOSE).run()
    assert report.run is not None
    async with mirrored.unit_of_work() as uow:
        [adjustment] = await uow.reconciliations.adjustments(report.run.id)
    assert (adjustment.subject, adjustment.old_value, adjustment.new_value) == (
        "balance:BTC",
        before + D("0.1"),
        before,
    )
    assert await balance_of(mirrored, "BTC") == before


async def test_the_same_discrepancy_gets_the_same_adjustment_id_in_another_process(
    clock: ManualClock, tmp_path: Path
) -> None:
    ids = []
    for attempt in range(2):  # two independent worlds: as after a restart, nothing shared but the inputs
        local = ManualClock(T0)
        exchange = new_exchange(local)
        await populate(exchange, local)
        store = SqliteStore(tmp_path / f"restart-{attempt}.db")
        await store.start()
        await mirror(exchange, store)
        await drift_balance(store, "USD", D(-5))
        report = await service(exchange, store, local, policy=LOOSE).run()
        ids.append([o.adjustment_id for o in report.corrected])
        await store.close()
    assert ids[0] == ids[1]
    assert ids[0][0] is not None


async def test_an_unknown_exchange_order_is_adopted_as_external_with_its_fills(
    exchange: FakeExchange, store: Store, clock: ManualClock
) -> None:
    await mirror(exchange, store, skip={"O000004"})
    await service(exchange, store, clock, policy=LOOSE).run()
    async with store.unit_of_work() as uow:
        adopted = await uow.orders.get_by_exchange_id("O000004")
    assert adopted is not None
    assert adopted.external is True
    assert (adopted.status, adopted.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, D("0.25"))
    assert adopted.exec_ids == {"T000004"}


async def test_trading_waits_for_the_startup_run(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    gate = TradingGate()
    flaky = FlakyAccount(exchange, failures=1)
    reconciler = service(flaky, mirrored, clock, gate=gate, retries=0)
    report = await reconciler.start()
    assert report.status is RunStatus.FAILED
    assert STARTUP_KEY in gate.reasons
    await reconciler.run(RunKind.SCHEDULED)
    assert gate.is_open


async def test_without_waiting_at_startup_trading_is_open_during_the_first_run(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    gate = TradingGate()
    reconciler = service(
        FlakyAccount(exchange, failures=1), mirrored, clock, gate=gate, retries=0, wait_at_startup=False
    )
    await reconciler.start()
    assert gate.is_open


async def test_discrepancies_beyond_tolerance_halt_trading_and_alert_until_resolved(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    gate, notifier = TradingGate(), MemoryNotifier()
    await drift_balance(mirrored, "ETH", D(7))
    reconciler = service(exchange, mirrored, clock, gate=gate, notifier=notifier)
    report = await reconciler.run()
    assert [o.decision.discrepancy.subject for o in report.manual_review] == ["balance:ETH"]
    assert HALT_KEY in gate.reasons
    [alert] = notifier.alerts
    assert alert.severity is Severity.CRITICAL
    assert "ETH total" in alert.body
    await drift_balance(mirrored, "ETH", D(-7))  # a human put it right
    await reconciler.run()
    assert gate.is_open


async def test_without_halt_on_manual_review_trading_continues_and_the_alert_is_a_warning(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    gate, notifier = TradingGate(), MemoryNotifier()
    await drift_balance(mirrored, "ETH", D(7))
    policy = TolerancePolicy(halt_on_manual_review=False)
    await service(exchange, mirrored, clock, gate=gate, notifier=notifier, policy=policy).run()
    assert gate.is_open
    assert [a.severity for a in notifier.alerts] == [Severity.WARNING]


async def test_a_failing_notifier_does_not_undo_the_run(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    await drift_balance(mirrored, "ETH", D(7))
    report = await service(exchange, mirrored, clock, notifier=MemoryNotifier(fail_next=1)).run()
    assert report.status is RunStatus.SUCCESS
    assert len(await runs_of(mirrored)) == 1


async def test_scheduled_runs_happen_every_interval(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    started = clock.now()
    await service(exchange, mirrored, clock, interval_seconds=3600).run_on_schedule(runs=2)
    runs = await runs_of(mirrored)
    assert [r.kind for r in runs] == [RunKind.SCHEDULED, RunKind.SCHEDULED]
    assert (clock.now() - started).total_seconds() == 7200


async def test_a_later_run_reads_history_from_the_last_checkpoint_less_the_lookback(
    exchange: FakeExchange, mirrored: Store, clock: ManualClock
) -> None:
    reconciler = service(exchange, mirrored, clock, lookback_seconds=60)
    first = await reconciler.run()
    clock.advance(3600)
    second = await reconciler.run()
    assert first.checkpoint is not None
    assert second.since is not None
    open_since = min(o.created_at for o in await exchange.open_orders())
    assert second.since == min(first.checkpoint - timedelta(seconds=60), open_since)


async def test_after_a_restart_the_corrections_hold_and_the_checkpoint_is_read_back(
    exchange: FakeExchange, store: Store, clock: ManualClock
) -> None:
    mirrored = store
    await mirror(exchange, mirrored, withhold={"T000004"})
    await drift_balance(mirrored, "BTC", D("0.1"))
    first = await service(exchange, mirrored, clock, policy=LOOSE, lookback_seconds=0).run()
    assert len(first.corrected) == 2
    await mirrored.close()
    await mirrored.start()  # the same database, a new process's service
    clock.advance(60)
    second = await service(exchange, mirrored, clock, policy=LOOSE, lookback_seconds=0).run()
    assert second.outcomes == ()
    open_since = min(o.created_at for o in await exchange.open_orders())
    assert second.since == min(first.checkpoint, open_since)  # type: ignore[type-var]


async def test_a_correction_that_cannot_be_applied_goes_to_review_and_the_run_is_partial(
    exchange: FakeExchange, store: Store, clock: ManualClock
) -> None:
    await mirror(exchange, store, skip={"O000004"})
    [report_of_o4] = await exchange.orders_by_id(["O000004"])
    impostor = Order.create(
        client_order_id=report_of_o4.client_order_id, symbol="BTC/USD", side="buy", order_type="limit",
        quantity=D(1), limit_price=D(50), at=T0,
    ).apply_status(OrderStatus.NEW, T0, exchange_order_id="OTHER-1").order  # fmt: skip
    async with store.unit_of_work() as uow:
        await uow.orders.save(impostor)
        await uow.commit()
    report = await service(exchange, store, clock, policy=LOOSE).run()
    assert report.status is RunStatus.PARTIAL
    outcomes = {o.decision.discrepancy.subject: o for o in report.outcomes}
    assert outcomes["order:O000004"].applied is False
    assert "is one of ours" in (outcomes["order:O000004"].error or "")
    assert outcomes["order:OTHER-1"].applied is True  # the rest of the run was applied
    assert report.run is not None
    assert report.run.status is RunStatus.PARTIAL


class FixedAccount:
    """An exchange account whose answers are fixed: for states the fake exchange cannot reach."""

    name = "fixed"

    def __init__(self, orders: list[Order], trades: list[Execution]) -> None:
        self._orders, self._trades = orders, trades

    async def balances(self) -> list[Any]:
        return []

    async def open_orders(self) -> list[Order]:
        return [o for o in self._orders if o.status.is_open]

    async def closed_orders_since(self, since: Any) -> list[Order]:
        return [o for o in self._orders if not o.status.is_open]

    async def trades_since(self, since: Any) -> list[Execution]:
        return list(self._trades)

    async def orders_by_id(self, ids: Any) -> list[Order]:
        return [o for o in self._orders if o.order_id in ids]


async def test_a_correction_waiting_for_one_that_failed_is_not_applied(
    store: Store, clock: ManualClock
) -> None:
    ours = Order.create(
        client_order_id="a", symbol="BTC/USD", side="buy", order_type="limit", quantity=D(1),
        limit_price=D(100), at=T0,
    ).apply_status(OrderStatus.NEW, T0, exchange_order_id="O-a").order  # fmt: skip
    theirs = attrs.evolve(ours, status=OrderStatus.CANCELED, filled_quantity=D("0.5"), filled_cost=D(50))
    wrong_side = Execution(
        exec_id="T1",
        order_id="O-a",
        symbol="BTC/USD",
        side="sell",
        quantity=D("0.5"),
        price=D(100),
        timestamp=T0,
    )  # the exchange's fill names the other side: importing it is refused
    async with store.unit_of_work() as uow:
        await uow.orders.save(ours)
        await uow.commit()
    report = await service(FixedAccount([theirs], [wrong_side]), store, clock, policy=LOOSE).run()
    outcomes = {o.decision.discrepancy.subject: o for o in report.outcomes}
    assert "ExecutionMismatchError" in (outcomes["fill:T1"].error or "")
    assert outcomes["order:O-a"].applied is False
    assert outcomes["order:O-a"].error == "waits for fill:T1, whose correction failed"
    async with store.unit_of_work() as uow:
        stored = await uow.orders.get("a")
    assert stored == ours

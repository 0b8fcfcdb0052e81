"""Reconciliation service: compare the store with the exchange, correct what the tolerance allows, audit it all.

A run reads the exchange through the `ExchangeAccount` port only (balances, open orders, orders closed since the
checkpoint, our fills since then, and every order named by our open orders or those fills), then, in one unit of
work, reads our state, reconciles (`domain.reconciliation`), decides (`domain.adjustments`), applies the
automatic corrections, and appends a `ReconciliationRun` and one `PositionAdjustment` per correction. Either all
of it commits or none of it does.

An `OutcomeUnknownError` (network error, timeout) or a rate limit is retried with exponential backoff; it is
never read as "not found". If the exchange still cannot be read, the run is recorded `failed` and nothing else
changes. Discrepancies beyond tolerance are listed in the report, alerted through the notifier and, if the
policy says so, halt new orders through the trading gate until a later run finds none.

The store may lag the exchange by stream events in flight (received and not yet applied, or not yet received).
Two things keep that lag from being read as drift: `settle` (given by the runtime: wait until the order intake
has applied what it had received) is awaited after each exchange snapshot and before the store is read; and,
with `confirm_after_seconds` above 0, a run that finds discrepancies looks again (a new snapshot, the store read
again) after that delay and acts only on the discrepancies both looks found (`domain.reconciliation_confirmation`):
only those are corrected, reviewed, alerted or halt trading. Those gone by the second look are reported as
`settled` and nothing more.

Runs happen at start-up (`start`; trading waits for it when `wait_at_startup`), on a schedule
(`run_on_schedule`), after every `StreamRecoveryNeeded` on the bus (`follow_recovery`), and on demand (`run`).
Runs never overlap.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from attrs import evolve, field, frozen

from galfriday.domain.adjustments import (
    Decision,
    adjustment_for,
    adopted,
    amended,
    closed_as_missing,
    decide,
    with_exchange_status,
)
from galfriday.domain.alerts import Alert, Severity
from galfriday.domain.balances import Balance
from galfriday.domain.events import StreamRecoveryNeeded
from galfriday.domain.executions import Execution
from galfriday.domain.orders import Order
from galfriday.domain.portfolio import replay_positions
from galfriday.domain.positions import Position
from galfriday.domain.reconciliation import (
    Discrepancy,
    DiscrepancyKind,
    ExchangeSnapshot,
    InternalState,
    reconcile,
)
from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun, RunKind, RunStatus
from galfriday.domain.reconciliation_confirmation import confirm
from galfriday.domain.timestamps import EPOCH
from galfriday.domain.tolerance import TolerancePolicy
from galfriday.errors import (
    DomainError,
    ExchangeError,
    GalfridayError,
    InvalidValueError,
    OutcomeUnknownError,
    RateLimitedError,
)
from galfriday.ports.bus import EventBus
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import ExchangeAccount
from galfriday.ports.notifier import Notifier
from galfriday.ports.stores import Store, UnitOfWork
from galfriday.services.trading_gate import TradingGate

log = logging.getLogger(__name__)

T = TypeVar("T")

HALT_KEY = "reconciliation"
"""The gate key held while discrepancies await a human (and `halt_on_manual_review` is on)."""
STARTUP_KEY = "reconciliation:startup"
"""The gate key held from start-up until a run succeeds (when `wait_at_startup` is on)."""
RECOVERY_TOPIC = StreamRecoveryNeeded.topic


def _positive_seconds(name: str) -> Callable[[Any, Any, float], None]:
    def check(instance: Any, attribute: Any, value: float) -> None:
        if not value > 0:
            raise InvalidValueError(name, value, "seconds above 0")

    return check


@frozen
class ReconciliationSettings:
    """How and when reconciliation runs. `lookback_seconds` widens the window before the last checkpoint, so
    a fill the exchange timestamps slightly in the past is still seen."""

    policy: TolerancePolicy = field(factory=TolerancePolicy)
    interval_seconds: float = field(default=86400.0, validator=_positive_seconds("interval_seconds"))
    wait_at_startup: bool = True
    retries: int = 3
    retry_backoff_seconds: float = 0.5
    lookback_seconds: float = 3600.0
    confirm_after_seconds: float = 5.0
    """Delay before the second look that confirms what the first found; 0 acts on the first look."""

    def __attrs_post_init__(self) -> None:
        if self.confirm_after_seconds < 0:
            raise InvalidValueError(
                "confirm_after_seconds", self.confirm_after_seconds, "seconds, zero or more"
            )
        if self.retries < 0:
            raise InvalidValueError("retries", self.retries, "a whole number of retries, zero or more")
        if self.retry_backoff_seconds < 0 or self.lookback_seconds < 0:
            raise InvalidValueError(
                "retry_backoff_seconds/lookback_seconds",
                (self.retry_backoff_seconds, self.lookback_seconds),
                "seconds, zero or more",
            )


@frozen
class Outcome:
    """One discrepancy, what was decided, and whether its correction was applied (with its adjustment id)."""

    decision: Decision
    applied: bool
    adjustment_id: str | None = None
    error: str | None = None


@frozen
class ReconciliationReport:
    """What a run found and did. `run` is the audit record (None for a dry run, which records nothing)."""

    kind: RunKind
    status: RunStatus
    started_at: datetime
    finished_at: datetime
    outcomes: tuple[Outcome, ...] = ()
    dry_run: bool = False
    run: ReconciliationRun | None = None
    error: str | None = None
    checkpoint: datetime | None = None
    since: datetime | None = None
    halted: bool = False
    settled: tuple[Discrepancy, ...] = ()
    """Found by the first look and gone by the second: the store was catching up. Counted, nothing more."""

    @property
    def manual_review(self) -> list[Outcome]:
        """What needs a human: every discrepancy not corrected."""
        return [o for o in self.outcomes if not o.applied]

    @property
    def corrected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.applied]

    def document(self) -> dict[str, Any]:
        """The report as JSON-ready data (amounts as decimal strings, instants in ISO 8601 UTC)."""
        return {
            "run_id": None if self.run is None else self.run.id,
            "kind": self.kind.value,
            "status": self.status.value,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "since": None if self.since is None else self.since.isoformat(),
            "checkpoint": None if self.checkpoint is None else self.checkpoint.isoformat(),
            "discrepancies_found": len(self.outcomes),
            "auto_corrected": len(self.corrected),
            "manual_review_required": len(self.manual_review),
            "halted": self.halted,
            "settled": len(self.settled),
            "error": self.error,
            "discrepancies": [_outcome_document(o) for o in self.outcomes],
            "settled_discrepancies": [
                {"kind": d.kind.value, "subject": d.subject, "detail": d.detail} for d in self.settled
            ],
        }


def _amount(value: Any) -> str | None:
    return None if value is None else str(value)


def _outcome_document(outcome: Outcome) -> dict[str, Any]:
    d = outcome.decision.discrepancy
    return {
        "kind": d.kind.value,
        "subject": d.subject,
        "key": d.key,
        "internal": _amount(d.internal),
        "reference": _amount(d.reference),
        "absolute": str(d.absolute),
        "relative": str(d.relative),
        "action": outcome.decision.action.value,
        "applied": outcome.applied,
        "adjustment_id": outcome.adjustment_id,
        "detail": d.detail,
        "reason": outcome.decision.reason,
        "error": outcome.error,
    }


class _ExchangeUnreadableError(GalfridayError):
    """The exchange could not be read after every retry."""


class ReconciliationService:
    """Reconciles one exchange account with one store; see the module docstring."""

    def __init__(
        self,
        account: ExchangeAccount,
        store: Store,
        notifier: Notifier,
        clock: Clock,
        gate: TradingGate,
        settings: ReconciliationSettings | None = None,
        *,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`settle`, when given, waits until the stream events received so far are in the store (bounded by
        its own timeout); it is awaited between reading the exchange and reading the store."""
        self._account = account
        self._settle = settle
        self._store = store
        self._notifier = notifier
        self._clock = clock
        self._gate = gate
        self.settings = settings or ReconciliationSettings()
        self._lock = asyncio.Lock()

    # --- triggers ----------------------------------------------------------------------------------------

    async def start(self) -> ReconciliationReport:
        """The start-up run. With `wait_at_startup`, trading stays halted until a run succeeds."""
        if self.settings.wait_at_startup:
            self._gate.halt(STARTUP_KEY, "waiting for the start-up reconciliation")
        return await self.run(RunKind.STARTUP)

    async def run_on_schedule(self, *, runs: int | None = None) -> None:
        """Run every `interval_seconds` (of the clock); forever, or `runs` times."""
        done = 0
        while runs is None or done < runs:
            await self._clock.sleep(self.settings.interval_seconds)
            await self.run(RunKind.SCHEDULED)
            done += 1

    async def follow_recovery(self, bus: EventBus, *, runs: int | None = None) -> None:
        """Run after every `StreamRecoveryNeeded` published on the bus; forever, or `runs` times."""
        subscription = bus.subscribe(RECOVERY_TOPIC)
        done = 0
        try:
            async for event in subscription:
                if isinstance(event, StreamRecoveryNeeded):
                    await self.run(RunKind.RECONNECT, since=event.since)
                    done += 1
                    if runs is not None and done >= runs:
                        return
        finally:
            await subscription.close()

    # --- one run -----------------------------------------------------------------------------------------

    async def run(
        self, kind: RunKind = RunKind.MANUAL, *, dry_run: bool = False, since: datetime | None = None
    ) -> ReconciliationReport:
        """Reconcile now. `dry_run` reports what would be corrected and changes (and records) nothing."""
        async with self._lock:
            report = await self._run(RunKind(kind), dry_run, since)
        if not dry_run:
            await self._after(report)
        return report

    async def _run(self, kind: RunKind, dry_run: bool, since: datetime | None) -> ReconciliationReport:
        run_id = str(uuid.uuid4())
        started = self._clock.now()
        first: list[Discrepancy] | None = None  # the first look, when the second is to confirm it
        try:
            snapshot = await self._snapshot(since)
            if self.settings.confirm_after_seconds > 0:
                first = await self._first_look(snapshot)
                if first:
                    await self._clock.sleep(self.settings.confirm_after_seconds)
                    snapshot = await self._snapshot(since)
            if first is None or first:
                await self._settled()
        except _ExchangeUnreadableError as exc:
            return await self._failed(run_id, kind, started, dry_run, str(exc))
        except GalfridayError as exc:
            log.exception("reconciliation run %s failed; nothing was changed", run_id)
            return await self._failed(run_id, kind, started, dry_run, f"{type(exc).__name__}: {exc}")
        settled: tuple[Discrepancy, ...] = ()
        try:
            async with self._store.unit_of_work() as uow:
                if first == []:  # nothing to confirm: the run only records itself
                    internal, found = InternalState(), []
                else:
                    internal = await self._internal(uow, snapshot)
                    found = reconcile(internal, snapshot)
                    if first is not None:
                        confirmation = confirm(first, found)
                        found, settled = list(confirmation.confirmed), confirmation.settled
                decisions = decide(found, self.settings.policy)
                if dry_run:
                    outcomes = tuple(Outcome(d, applied=False) for d in decisions)
                    return self._report(
                        kind, RunStatus.SUCCESS, started, outcomes, snapshot, dry_run=True, settled=settled
                    )
                outcomes, adjustments = await self._correct(uow, decisions, internal, run_id, snapshot)
                status = RunStatus.PARTIAL if any(o.error for o in outcomes) else RunStatus.SUCCESS
                report = self._report(kind, status, started, outcomes, snapshot, settled=settled)
                run = self._record(run_id, report)
                await uow.reconciliations.add_run(run)
                for adjustment in adjustments:
                    await uow.reconciliations.add_adjustment(adjustment)
                await uow.commit()
        except GalfridayError as exc:
            log.exception("reconciliation run %s failed; nothing was changed", run_id)
            return await self._failed(run_id, kind, started, dry_run, f"{type(exc).__name__}: {exc}")
        return _with_run(report, run)

    def _report(
        self,
        kind: RunKind,
        status: RunStatus,
        started: datetime,
        outcomes: tuple[Outcome, ...],
        snapshot: ExchangeSnapshot,
        *,
        dry_run: bool = False,
        settled: tuple[Discrepancy, ...] = (),
    ) -> ReconciliationReport:
        if settled:
            log.info("reconciliation: %d discrepancies settled by the second look", len(settled))
        manual = any(not o.applied for o in outcomes)
        return ReconciliationReport(
            kind=kind,
            status=status,
            started_at=started,
            finished_at=max(started, self._clock.now()),
            outcomes=outcomes,
            dry_run=dry_run,
            checkpoint=snapshot.taken_at,
            since=snapshot.since,
            halted=manual and self.settings.policy.halt_on_manual_review,
            settled=settled,
        )

    def _record(self, run_id: str, report: ReconciliationReport) -> ReconciliationRun:
        return ReconciliationRun(
            id=run_id,
            kind=report.kind,
            status=report.status,
            started_at=report.started_at,
            finished_at=report.finished_at,
            discrepancies_found=len(report.outcomes),
            auto_corrected=len(report.corrected),
            manual_review_required=len(report.manual_review),
            report={**report.document(), "run_id": run_id},
        )

    async def _failed(
        self, run_id: str, kind: RunKind, started: datetime, dry_run: bool, error: str
    ) -> ReconciliationReport:
        """A run that changed nothing; recorded (unless a dry run) in a unit of work of its own."""
        report = ReconciliationReport(
            kind=kind,
            status=RunStatus.FAILED,
            started_at=started,
            finished_at=max(started, self._clock.now()),
            dry_run=dry_run,
            error=error,
        )
        if dry_run:
            return report
        run = self._record(run_id, report)
        try:
            async with self._store.unit_of_work() as uow:
                await uow.reconciliations.add_run(run)
                await uow.commit()
        except GalfridayError:
            log.exception("could not record failed reconciliation run %s", run_id)
            return report
        return _with_run(report, run)

    # --- reading both sides ------------------------------------------------------------------------------

    async def _read(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Call the exchange; retry unknown outcomes and rate limits with backoff. Never "not found"."""
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                return await call()
            except (OutcomeUnknownError, RateLimitedError) as exc:
                if attempt + 1 == attempts:
                    raise _ExchangeUnreadableError(
                        f"{what}: outcome unknown after {attempts} attempt(s): {exc}"
                    ) from exc
                delay = self.settings.retry_backoff_seconds * 2**attempt
                if isinstance(exc, RateLimitedError) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                log.warning("%s: %s; retrying in %.2fs", what, exc, delay)
                await self._clock.sleep(delay)
            except ExchangeError as exc:
                raise _ExchangeUnreadableError(f"{what}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _since(self, uow: UnitOfWork, given: datetime | None, open_orders: Sequence[Order]) -> datetime:
        """Where the exchange's history is read from: the last good run's checkpoint less the lookback, and no
        later than the oldest open order or the given instant; the beginning of time before any good run."""
        since = EPOCH
        for run in await uow.reconciliations.recent_runs(50):
            checkpoint = run.report.get("checkpoint")
            if run.status is not RunStatus.FAILED and isinstance(checkpoint, str):
                since = datetime.fromisoformat(checkpoint) - timedelta(seconds=self.settings.lookback_seconds)
                break
        candidates = [since, *(order.created_at for order in open_orders)]
        if given is not None:
            candidates.append(given)
        return max(EPOCH, min(candidates))

    async def _settled(self) -> None:
        """Let the store catch up with the stream events received so far (see `settle`)."""
        if self._settle is not None:
            await self._settle()

    async def _first_look(self, snapshot: ExchangeSnapshot) -> list[Discrepancy]:
        """What the store and `snapshot` differ by, read in a unit of work that changes nothing."""
        await self._settled()
        async with self._store.unit_of_work() as uow:
            return reconcile(await self._internal(uow, snapshot), snapshot)

    async def _snapshot(self, given: datetime | None) -> ExchangeSnapshot:
        async with self._store.unit_of_work() as uow:
            ours_open = await uow.orders.list_open()
            since = await self._since(uow, given, ours_open)
        taken_at = self._clock.now()
        account = self._account
        balances = await self._read("balances", account.balances)
        open_orders = await self._read("open orders", account.open_orders)
        closed = await self._read("closed orders", lambda: account.closed_orders_since(since))
        trades = await self._read("trade history", lambda: account.trades_since(since))
        have = {order.order_id for order in (*open_orders, *closed)}
        wanted = {o.exchange_order_id for o in ours_open if o.exchange_order_id is not None}
        wanted |= {trade.order_id for trade in trades}
        missing = sorted(wanted - have)
        looked_up = await self._read("orders by id", lambda: account.orders_by_id(missing)) if missing else []
        return ExchangeSnapshot(
            taken_at=taken_at,
            since=since,
            balances=balances,
            orders=(*open_orders, *closed, *looked_up),
            trades=trades,
        )

    async def _internal(self, uow: UnitOfWork, snapshot: ExchangeSnapshot) -> InternalState:
        """Our side: balances, positions, every stored fill, and the orders concerned. Those are read in bulk
        (open, and updated since the window began); only orders the snapshot names beyond those are looked up
        one by one, usually the few that differ."""
        bulk = [*await uow.orders.list_open(), *await uow.orders.list_updated_since(snapshot.since)]
        orders: dict[str, Order] = {o.client_order_id: o for o in bulk}
        known = {o.exchange_order_id for o in bulk if o.exchange_order_id is not None}
        unacknowledged = {o.client_order_id for o in bulk if o.exchange_order_id is None}
        named: list[tuple[str, str | None]] = [(r.order_id, r.client_order_id) for r in snapshot.orders]
        named += [(t.order_id, t.client_order_id) for t in snapshot.trades]
        for order_id, client_order_id in named:
            if order_id in known or client_order_id in unacknowledged:
                continue
            known.add(order_id)
            ours = await uow.orders.get_by_exchange_id(order_id)
            if ours is None and client_order_id is not None:
                ours = await uow.orders.get(client_order_id)
            if ours is not None:
                orders.setdefault(ours.client_order_id, ours)
        return InternalState(
            balances=await uow.balances.all(),
            orders=orders.values(),
            executions=await uow.executions.since(EPOCH),
            positions=await uow.positions.all(),
        )

    # --- corrections -------------------------------------------------------------------------------------

    async def _correct(
        self,
        uow: UnitOfWork,
        decisions: Sequence[Decision],
        internal: InternalState,
        run_id: str,
        snapshot: ExchangeSnapshot,
    ) -> tuple[tuple[Outcome, ...], list[PositionAdjustment]]:
        now = max(self._clock.now(), snapshot.taken_at)
        executions = {e.exec_id: e for e in internal.executions}
        replay: set[str] = set()
        keep: set[str] = set()  # positions whose own discrepancy awaits review: not rebuilt, only moved
        newly_applied: list[Execution] = []
        outcomes: list[Outcome] = []
        adjustments: list[PositionAdjustment] = []
        unapplied: set[str] = set()  # automatic corrections that failed: what depends on them waits too
        for decision in decisions:
            d = decision.discrepancy
            blocked = [subject for subject in d.depends_on if subject in unapplied]
            if decision.automatic and blocked:
                unapplied.add(d.subject)
                error = f"waits for {blocked[0]}, whose correction failed"
                outcomes.append(Outcome(decision, applied=False, error=error))
                continue
            if d.subject.startswith(("position:", "cost_basis:")):
                (replay if decision.automatic else keep).add(d.key)
                if not decision.automatic:
                    outcomes.append(Outcome(decision, applied=False))
                    continue
            elif not decision.automatic:
                outcomes.append(Outcome(decision, applied=False))
                continue
            try:
                touched, fills = await self._apply(uow, d, executions, now)
            except (DomainError, _CorrectionRefusedError) as exc:
                log.warning("correction of %s failed: %s", d.subject, exc)
                unapplied.add(d.subject)
                outcomes.append(Outcome(decision, applied=False, error=f"{type(exc).__name__}: {exc}"))
                continue
            replay |= touched
            newly_applied += fills
            adjustment = adjustment_for(decision, run_id, now)
            adjustments.append(adjustment)
            outcomes.append(Outcome(decision, applied=True, adjustment_id=adjustment.id))
        for symbol in sorted(replay - keep):
            fills = [e for e in executions.values() if e.symbol == symbol]
            position = replay_positions(fills).get(symbol)
            if position is not None:
                await uow.positions.save(position)
        for symbol in sorted(keep):
            # The stored position is off and awaits a human: move it by the fills imported, so that the drift
            # under review stays the drift that was found.
            moved = await uow.positions.get(symbol) or Position.flat(symbol, now)
            fills = sorted(
                (f for f in newly_applied if f.symbol == symbol), key=lambda e: (e.timestamp, e.exec_id)
            )
            for fill in fills:
                moved = moved.apply_fill(fill)
            if fills:
                await uow.positions.save(moved)
        return tuple(outcomes), adjustments

    async def _apply(
        self, uow: UnitOfWork, d: Discrepancy, executions: dict[str, Execution], now: datetime
    ) -> tuple[set[str], list[Execution]]:
        """Apply one correction to the store. Return the pairs whose positions are to be rebuilt from the fills,
        and the fills newly applied to an order. Everything is computed before anything is written, so a
        correction the domain refuses writes nothing."""
        kind = d.kind
        if kind is DiscrepancyKind.UNKNOWN_EXCHANGE_ORDER:
            assert d.exchange_order is not None
            order = _with_fills(adopted(d.exchange_order), d.fills)
            if d.exchange_order.status != order.status:
                order = with_exchange_status(order, d.exchange_order, now)
            if await uow.orders.get(order.client_order_id) is not None:
                raise _CorrectionRefusedError(
                    f"cannot adopt {d.subject}: client order id {order.client_order_id!r} is one of ours"
                )
            await uow.orders.add(order)
            await _store_fills(uow, d.fills, executions)
            return {order.symbol}, list(d.fills)
        if kind is DiscrepancyKind.MISSING_FILL:
            order = await _current(uow, d)
            fresh = [fill for fill in d.fills if fill.exec_id not in order.exec_ids]
            changed = _with_fills(order, fresh)
            await _store_fills(uow, d.fills, executions)
            await uow.orders.save(changed)
            return {changed.symbol}, fresh
        if kind is DiscrepancyKind.STATUS_MISMATCH:
            assert d.exchange_order is not None
            await uow.orders.save(with_exchange_status(await _current(uow, d), d.exchange_order, now))
            return set(), []
        if kind is DiscrepancyKind.ORDER_MISSING_ON_EXCHANGE:
            await uow.orders.save(closed_as_missing(await _current(uow, d), now))
            return set(), []
        if kind is DiscrepancyKind.QUANTITY_MISMATCH and d.subject.startswith("order:"):
            assert d.exchange_order is not None
            await uow.orders.save(amended(await _current(uow, d), d.exchange_order))
            return set(), []
        if kind is DiscrepancyKind.BALANCE_MISMATCH:
            await uow.balances.save(d.balance if d.balance is not None else _emptied(d, now))
            return set(), []
        if d.subject.startswith(("position:", "cost_basis:")):
            return {d.key}, []
        raise AssertionError(f"no correction for {kind.value} {d.subject}")  # pragma: no cover

    # --- after a run -------------------------------------------------------------------------------------

    async def _after(self, report: ReconciliationReport) -> None:
        """Move the trading gate and alert a human, as the run's outcome requires."""
        if report.status is RunStatus.FAILED:
            await self._alert(
                Severity.CRITICAL,
                "reconciliation failed",
                f"{report.kind.value} run could not complete and changed nothing: {report.error}",
                report,
            )
            return
        self._gate.resume(STARTUP_KEY)
        manual = report.manual_review
        if manual and self.settings.policy.halt_on_manual_review:
            self._gate.halt(HALT_KEY, f"{len(manual)} discrepancies need review (run {_run_id(report)})")
        else:
            self._gate.resume(HALT_KEY)
        if manual:
            listed = "; ".join(f"{o.decision.discrepancy.detail} ({o.decision.reason})" for o in manual[:20])
            more = f"; and {len(manual) - 20} more" if len(manual) > 20 else ""
            halted = " New orders are halted." if report.halted else ""
            await self._alert(
                Severity.CRITICAL if report.halted else Severity.WARNING,
                f"reconciliation: {len(manual)} discrepancies need review",
                f"{listed}{more}.{halted}",
                report,
            )

    async def _alert(self, severity: Severity, title: str, body: str, report: ReconciliationReport) -> None:
        alert = Alert(
            severity=severity,
            title=title,
            body=body,
            occurred_at=report.finished_at,
            tags=(("run_id", _run_id(report)), ("kind", report.kind.value), ("status", report.status.value)),
        )
        try:
            await self._notifier.notify(alert)
        except Exception:  # an alert that cannot be sent must not undo or hide the run
            log.exception("could not deliver alert %r", title)


def _run_id(report: ReconciliationReport) -> str:
    return "-" if report.run is None else report.run.id


def _with_run(report: ReconciliationReport, run: ReconciliationRun) -> ReconciliationReport:
    return evolve(report, run=run)


async def _current(uow: UnitOfWork, d: Discrepancy) -> Order:
    """The order as stored now (an earlier correction of this run may have changed it)."""
    assert d.internal_order is not None
    order = await uow.orders.get(d.internal_order.client_order_id)
    if order is None:
        raise _OrderVanishedError(d.internal_order.client_order_id)
    return order


class _CorrectionRefusedError(GalfridayError):
    """A correction that cannot be applied as things are in the store; it goes to review."""


class _OrderVanishedError(_CorrectionRefusedError):
    def __init__(self, client_order_id: str) -> None:
        super().__init__(f"order {client_order_id} is no longer in the store")


def _with_fills(order: Order, fills: Sequence[Execution]) -> Order:
    for fill in sorted(fills, key=lambda e: (e.timestamp, e.exec_id)):
        order = order.apply_execution(fill).order
    return order


async def _store_fills(uow: UnitOfWork, fills: Sequence[Execution], known: dict[str, Execution]) -> None:
    for fill in fills:
        await uow.executions.add(fill)
        known[fill.exec_id] = fill


def _emptied(d: Discrepancy, at: datetime) -> Balance:
    """A balance the exchange no longer reports: zero."""
    return Balance(d.key, 0, 0, at)

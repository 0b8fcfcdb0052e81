"""Stream recovery: apply the stream to the store, and whenever the stream may have missed something, ask
the account what happened and apply that too, so that nothing is lost and nothing is applied twice.

`StreamRecovery` is the consumer of an exchange stream. Every stream event goes through `OrderTracker`
(whose execution store is the idempotency key, so an execution seen on the stream and again by REST counts
once, whatever form each gives it), one at a time with the backfills: two units of work applying fills to the
same order concurrently could lose one. When another component reads the stream (the runtime's order intake), start with
`consume=False` and give that component `apply` as its handler and `observe` as its observer.

A backfill runs at start, on every `StreamRecoveryNeeded` (a reconnect or a sequence gap) and when
the stream turns healthy after being down; while the stream is unhealthy the account is polled every
`poll_interval` seconds instead. New orders are halted on the `TradingGate` it is given (the one
reconciliation halts too; its own when none is given) under the key `stream`, from the moment the stream is
in doubt until it is healthy again and a backfill has finished after that.

A backfill:
1. asks for every open order on the exchange (adopting ones we did not place), for our non-terminal orders
   that are no longer open there by exchange id (`orders_by_id`), and for orders whose placement had no
   answer (no exchange id yet) among the orders closed since they were created, matched by client order id;
2. asks for fills since the last persisted execution (or the start of the loss, or the previous backfill,
   whichever is earliest) minus a safety margin; if an order still shows more filled on the exchange than
   its stored executions add up to, it looks again from that order's creation;
3. applies the fills first and the order reports second (the order the stream uses), then the balances, in
   batches of `BATCH_SIZE` events per unit of work (`OrderTracker.handle_many`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from attrs import frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.events import (
    BalanceReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    StreamRecoveryNeeded,
    StreamStatusChanged,
)
from galfriday.domain.executions import Execution
from galfriday.domain.fill_identity import DEFAULT_TIME_TOLERANCE
from galfriday.domain.orders import Order
from galfriday.errors import DomainError, ExchangeError, InvalidValueError
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import ExchangeAccount, ExchangeStream
from galfriday.ports.stores import Store
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.trading_gate import TradingGate

__all__ = ["GATE_SOURCE", "RecoveryReport", "StreamRecovery"]

log = logging.getLogger(__name__)

GATE_SOURCE = "stream"
"""The trading gate's key for halts placed by stream recovery."""

BATCH_SIZE = 500
"""Recovered events applied per unit of work (one transaction for a backfill's fills, not one per fill)."""


@frozen
class RecoveryReport:
    """What one backfill asked for and what it changed."""

    reason: str
    since: datetime
    orders_reported: int
    executions_seen: int
    executions_new: int
    balances_reported: int
    refused: int
    widened: bool
    started_at: datetime
    finished_at: datetime


class StreamRecovery:
    """Feeds the stream into the tracker and backfills through the account when the stream is in doubt."""

    def __init__(
        self,
        account: ExchangeAccount,
        stream: ExchangeStream,
        tracker: OrderTracker,
        store: Store,
        clock: Clock,
        *,
        gate: TradingGate | None = None,
        poll_interval: float = 5.0,
        margin: timedelta = timedelta(seconds=60),
        retry_delay: float = 1.0,
    ) -> None:
        if not poll_interval > 0:
            raise InvalidValueError("poll_interval", poll_interval, "seconds above 0")
        if margin < timedelta(0):
            raise InvalidValueError("margin", margin, "a timedelta of zero or more")
        self._account = account
        self._stream = stream
        self._tracker = tracker
        self._store = store
        self._clock = clock
        self.gate = gate or TradingGate()
        self._poll_interval = poll_interval
        self._margin = margin
        self._retry_delay = retry_delay
        self._lock = asyncio.Lock()
        self._caught_up_to: datetime | None = None
        self._in_doubt_since: datetime | None = None
        self._doubts = 0
        self._settled = 0
        self._healthy = False
        self._consumer: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._retrying: asyncio.Task[None] | None = None
        self.reports: list[RecoveryReport] = []
        """Every finished backfill, oldest first (bounded to the last 100)."""

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self, *, consume: bool = True) -> None:
        """Subscribe to the stream, backfill once (what happened while we were away), then keep up.

        With `consume=False` the caller feeds stream events to `apply` and `observe` itself. If the account
        cannot answer, start returns anyway with the gate closed, and the backfill is retried in the
        background until it succeeds (the exchange being down must not stop the process from starting); the
        same holds for the backfills after a reconnect or a gap.
        """
        events = self._stream.events() if consume else None
        self._healthy = self._stream.health().healthy
        if not self._healthy:
            self._mark_in_doubt(None)  # since when is unknown: the backfill looks back from what we hold
        self._hold("starting: backfilling through the account")
        await self._backfill_or_retry("start", None)
        if events is not None:
            self._consumer = asyncio.get_running_loop().create_task(self._consume(events))
        self._update_gate(self._stream.health().reason)

    async def close(self) -> None:
        for task in (self._poller, self._consumer, self._retrying):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poller = self._consumer = self._retrying = None

    @property
    def polling(self) -> bool:
        """Whether the account is being polled because the stream is unhealthy."""
        return self._poller is not None and not self._poller.done()

    @property
    def needs_backfill(self) -> bool:
        """Whether the stream was in doubt since the last backfill that began with the stream healthy."""
        return self._doubts != self._settled

    # --- the stream ----------------------------------------------------------------------------------

    async def _consume(self, events: AsyncIterator[ExchangeEvent]) -> None:
        async for event in events:
            try:
                await self.handle(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad event must not stop the stream being applied
                log.exception("applying stream event %s failed", type(event).__name__)

    async def handle(self, event: ExchangeEvent) -> None:
        """Apply one stream event, then act on what it says about the stream itself."""
        await self.apply(event)
        await self.observe(event)

    async def apply(self, event: ExchangeEvent) -> object:
        """Apply one stream event through the tracker, never while a backfill is applying its own.

        An execution already stored in another form (REST's TradesHistory has no client order id and a
        coarser time than the stream) is the same fill, which the tracker ignores.
        """
        async with self._lock:
            return await self._tracker.handle(event)

    async def observe(self, event: ExchangeEvent) -> None:
        """Act on what an applied event says about the stream: backfill, poll, close or open the gate."""
        if isinstance(event, StreamRecoveryNeeded):
            self._mark_in_doubt(event.occurred_at if event.since is None else event.since)
            self._healthy = self._stream.health().healthy
            self._hold(f"recovering after a {event.reason}")
            await self._backfill_or_retry(event.reason, event.since)
            self._update_gate(self._stream.health().reason)
        elif isinstance(event, StreamStatusChanged):
            self._healthy = event.healthy
            if not event.healthy:
                self._mark_in_doubt(event.occurred_at)
            elif self.needs_backfill:
                self._stop_polling()
                self._hold(f"stream {event.reason}: backfilling through the account")
                await self._backfill_or_retry("reconnect", self._in_doubt_since)
            self._update_gate(event.reason)

    def _hold(self, reason: str) -> None:
        self.gate.halt(GATE_SOURCE, reason)

    def _release(self) -> None:
        self.gate.resume(GATE_SOURCE)

    def _mark_in_doubt(self, since: datetime | None) -> None:
        """Something may have been missed from `since` on (None: from whenever we last knew)."""
        self._doubts += 1
        if since is not None and (self._in_doubt_since is None or since < self._in_doubt_since):
            self._in_doubt_since = since

    def _update_gate(self, reason: str) -> None:
        """Open the gate when the stream is healthy and caught up; poll while it is unhealthy."""
        if self._healthy and not self.needs_backfill:
            self._release()
            self._stop_polling()
        elif not self._healthy:
            self._hold(f"stream unhealthy: {reason}")
            self._start_polling()

    def _start_polling(self) -> None:
        if not self.polling:
            log.warning("stream unhealthy: polling the account every %ss", self._poll_interval)
            self._poller = asyncio.get_running_loop().create_task(self._poll())

    def _stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
            log.info("stream healthy again: polling stopped")

    async def _poll(self) -> None:
        while True:
            await self._clock.sleep(self._poll_interval)
            try:
                await self.backfill("poll", self._in_doubt_since)
            except ExchangeError as exc:
                log.warning("polling the account failed (%s: %s); trying again", type(exc).__name__, exc)

    # --- backfill ------------------------------------------------------------------------------------

    async def _backfill_or_retry(self, reason: str, since: datetime | None) -> None:
        """Backfill once; if the account cannot answer, retry in the background (the gate stays closed) so
        that neither start-up nor the stream waits for the exchange's REST API to come back."""
        try:
            await self.backfill(reason, since)
        except ExchangeError as exc:
            log.error(
                "backfill after %s failed (%s: %s); trading stays halted while it is retried",
                reason,
                type(exc).__name__,
                exc,
            )
            self._mark_in_doubt(since)
            if self._retrying is None or self._retrying.done():
                self._retrying = asyncio.get_running_loop().create_task(self._retry(reason, since))

    async def _retry(self, reason: str, since: datetime | None) -> None:
        await self._clock.sleep(self._retry_delay)
        await self._backfill_until_done(reason, since)
        self._update_gate(self._stream.health().reason)

    async def _backfill_until_done(self, reason: str, since: datetime | None) -> None:
        """Backfill, retrying while the account cannot answer; the gate stays closed meanwhile."""
        attempt = 0
        while True:
            try:
                await self.backfill(reason, since)
                return
            except ExchangeError as exc:
                attempt += 1
                log.error(
                    "backfill after %s failed (attempt %d, %s: %s); retrying in %ss",
                    reason,
                    attempt,
                    type(exc).__name__,
                    exc,
                    self._retry_delay,
                )
                await self._clock.sleep(self._retry_delay)

    async def backfill(self, reason: str, since: datetime | None = None) -> RecoveryReport:
        """One pass: ask the account for our orders, fills and balances, and apply them through the tracker."""
        async with self._lock:
            started = self._clock.now()
            doubts, healthy = self._doubts, self._healthy
            async with self._store.unit_of_work() as uow:
                ours = await uow.orders.list_open()
                latest = await uow.executions.latest()
            start = self._since(ours, latest, since, started)
            reports = await self._order_reports(ours)
            executions = await self._account.trades_since(start)
            new, refused = await self._apply_executions(executions)
            widened = False
            short = await self._short_of_fills(reports)
            if short:
                widened = True
                deeper = min(order.created_at for order in short) - self._margin
                more = await self._account.trades_since(deeper)
                executions += more
                extra_new, extra_refused = await self._apply_executions(more)
                new, refused = new + extra_new, refused + extra_refused
            balances = await self._account.balances()
            refused += await self._apply_all(
                [OrderReported(order, order.updated_at) for order in reports]
                + [BalanceReported(balance) for balance in balances]
            )
            finished = self._clock.now()
            report = RecoveryReport(
                reason=reason,
                since=start,
                orders_reported=len(reports),
                executions_seen=len(executions),
                executions_new=new,
                balances_reported=len(balances),
                refused=refused,
                widened=widened,
                started_at=started,
                finished_at=finished,
            )
            self._caught_up_to = started
            if healthy:
                self._settled = doubts
                if doubts == self._doubts:
                    self._in_doubt_since = None
            self.reports = [*self.reports[-99:], report]
        level = logging.WARNING if new or refused else logging.INFO
        log.log(
            level,
            "backfill after %s: %d orders, %d fills since %s (%d new, %d refused)%s",
            reason,
            len(reports),
            len(executions),
            start.isoformat(),
            new,
            refused,
            "; looked further back for an order short of fills" if widened else "",
        )
        return report

    def _since(
        self, ours: list[Order], latest: Execution | None, since: datetime | None, now: datetime
    ) -> datetime:
        candidates = [t for t in (since, self._in_doubt_since, self._caught_up_to) if t is not None]
        if latest is not None:
            candidates.append(latest.timestamp)
        if not candidates:
            candidates = [order.created_at for order in ours] or [now]
        return min(candidates) - self._margin

    async def _order_reports(self, ours: list[Order]) -> list[Order]:
        """The exchange's view of our non-terminal orders and of every order open there."""
        found = {_key(order): order for order in await self._account.open_orders()}
        closed = [
            o.exchange_order_id for o in ours if o.exchange_order_id and o.exchange_order_id not in found
        ]
        for order in await self._account.orders_by_id(closed) if closed else []:
            found[_key(order)] = order
        unplaced = [order for order in ours if not order.exchange_order_id]
        if unplaced:
            earliest = min(order.created_at for order in unplaced) - self._margin
            wanted = {order.client_order_id for order in unplaced}
            for order in await self._account.closed_orders_since(earliest):
                if order.client_order_id in wanted:
                    found[_key(order)] = order
        return sorted(found.values(), key=lambda o: (o.updated_at, _key(o)))

    async def _apply_executions(self, executions: list[Execution]) -> tuple[int, int]:
        """Apply the fills the store does not hold yet, oldest first; how many, and how many were refused.

        A fill the store holds is not offered again (the tracker would find it the same fill and ignore it);
        counting the others is how a backfill reports what it recovered. What the store holds is read in one
        query from the earliest fill minus the safety margin (another form of a fill is within a second of it).
        """
        if not executions:
            return 0, 0
        async with self._store.unit_of_work() as uow:
            earliest = min(e.timestamp for e in executions) - max(self._margin, DEFAULT_TIME_TOLERANCE)
            held = {e.exec_id for e in await uow.executions.since(earliest)}
        fresh = {e.exec_id: e for e in executions if e.exec_id not in held}
        ordered = sorted(fresh.values(), key=lambda e: (e.timestamp, e.exec_id))
        refused = await self._apply_all([ExecutionReported(execution) for execution in ordered])
        return len(fresh), refused

    async def _short_of_fills(self, reports: list[Order]) -> list[Order]:
        """Reported orders whose stored fills add up to less than the exchange says they filled."""
        short = []
        async with self._store.unit_of_work() as uow:
            for report in reports:
                if report.exchange_order_id is None or report.filled_quantity == 0:
                    continue
                stored = await uow.executions.for_order(report.exchange_order_id)
                if sum((e.quantity for e in stored), Decimal(ZERO)) < report.filled_quantity:
                    short.append(report)
        return short

    async def _apply_all(self, events: Sequence[ExchangeEvent]) -> int:
        """Apply recovered events in order, `BATCH_SIZE` to a unit of work; how many the domain refused.

        A batch the domain refuses is applied again one event at a time, so that one refused event (logged and
        counted) does not cost the others; the tracker publishes the same events either way.
        """
        refused = 0
        for start in range(0, len(events), BATCH_SIZE):
            batch = events[start : start + BATCH_SIZE]
            try:
                await self._tracker.handle_many(batch)
            except DomainError:
                for event in batch:
                    refused += await self._apply(event)
        return refused

    async def _apply(self, event: ExchangeEvent) -> int:
        """Apply one recovered event; 1 if the domain refused it (logged), else 0."""
        try:
            await self._tracker.handle(event)
        except DomainError:
            log.exception("recovered %s refused", type(event).__name__)
            return 1
        return 0


def _key(order: Order) -> str:
    return order.exchange_order_id or f"client:{order.client_order_id}"

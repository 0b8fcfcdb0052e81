"""Order tracking: apply what the exchange reports to our orders, fills, positions and balances.

Each event is applied in one unit of work (or a batch of them in one, `handle_many`), then the resulting domain
events are published. The execution store is the idempotency key: an execution already stored changes nothing,
so duplicated delivery (stream plus REST backfill, or a replayed journal) is harmless. That includes the same
fill in another form (REST's TradesHistory has no client order id and a coarser time than the stream):
`same_fill` decides, and a report of a used exec id that is not the same fill raises
`ConflictingExecutionError`. An execution that arrives before its order is known is kept and applied when the
order is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import attrs

from galfriday.domain.events import (
    BalanceChanged,
    BalanceReported,
    DomainEvent,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    PositionChanged,
)
from galfriday.domain.executions import Execution
from galfriday.domain.fill_identity import DEFAULT_TIME_TOLERANCE, same_fill
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.errors import DuplicateKeyError, InvalidValueError
from galfriday.ports.bus import EventBus
from galfriday.ports.stores import Store, UnitOfWork
from galfriday.services.tracked_state import TrackedState

log = logging.getLogger(__name__)


class OrderTracker:
    """Keeps the store in step with the exchange, one event (or one batch of events) at a time."""

    def __init__(
        self, store: Store, bus: EventBus, *, fill_time_tolerance: timedelta = DEFAULT_TIME_TOLERANCE
    ) -> None:
        if fill_time_tolerance < timedelta(0):
            raise InvalidValueError("fill_time_tolerance", fill_time_tolerance, "a timedelta of zero or more")
        self._store = store
        self._bus = bus
        self._fill_time_tolerance = fill_time_tolerance

    async def record_placed(self, order: Order) -> None:
        """Persist an order we are about to send (or have sent), before any report about it can arrive."""
        async with self._store.unit_of_work() as uow:
            await uow.orders.save(order)
            await uow.commit()

    async def handle(self, event: ExchangeEvent) -> list[DomainEvent]:
        """Apply one exchange event; publish it and the domain events it caused; return the latter."""
        async with self._store.unit_of_work() as uow:
            state = TrackedState(uow)
            produced = await self._apply(uow, state, event)
            await state.flush()
            await uow.commit()
        await self._publish(event, produced)
        return produced

    async def handle_many(self, events: Sequence[ExchangeEvent]) -> list[DomainEvent]:
        """Apply events in order in one unit of work, each as `handle` would; then publish each event and its
        domain events in the same order as one by one; return all the domain events.

        All or nothing: if any event is refused, nothing is stored or published and the error propagates (the
        caller can then apply the events one by one to learn which). One transaction for a backfill's hundreds
        of fills instead of one each, and each changed order and position saved once (`TrackedState`).
        """
        produced: list[list[DomainEvent]] = []
        async with self._store.unit_of_work() as uow:
            state = TrackedState(uow)
            for event in events:
                produced.append(await self._apply(uow, state, event))
            await state.flush()
            await uow.commit()
        for event, caused in zip(events, produced, strict=True):
            await self._publish(event, caused)
        return [domain_event for caused in produced for domain_event in caused]

    async def _apply(self, uow: UnitOfWork, state: TrackedState, event: ExchangeEvent) -> list[DomainEvent]:
        if isinstance(event, ExecutionReported):
            return await self._on_execution(uow, state, event.execution)
        if isinstance(event, OrderReported):
            return await _on_order(uow, state, event)
        if isinstance(event, BalanceReported):
            return await _on_balance(uow, event)
        return []

    async def _publish(self, event: ExchangeEvent, produced: list[DomainEvent]) -> None:
        await self._bus.publish(event.topic, event)
        for domain_event in produced:
            await self._bus.publish(domain_event.topic, domain_event)

    async def _on_execution(
        self, uow: UnitOfWork, state: TrackedState, execution: Execution
    ) -> list[DomainEvent]:
        if not await self._is_new(uow, execution):
            return []
        order = await state.find_order(execution.order_id, execution.client_order_id)
        if order is None:
            log.info(
                "execution %s arrived before order %s; kept for later", execution.exec_id, execution.order_id
            )
            return []
        _, produced = await _apply_executions(state, order, [execution])
        return produced

    async def _is_new(self, uow: UnitOfWork, execution: Execution) -> bool:
        """Store the execution if its exec id is new; a known one must be the same fill (else it raises)."""
        try:
            return await uow.executions.add(execution)
        except DuplicateKeyError:
            stored = await uow.executions.get(execution.exec_id)
            if stored is None:
                raise
        same_fill(stored, execution, self._fill_time_tolerance)
        log.debug("execution %s is already stored in another form; kept the stored one", execution.exec_id)
        return False


async def _on_order(uow: UnitOfWork, state: TrackedState, event: OrderReported) -> list[DomainEvent]:
    report = event.order
    order = await state.find_order(report.exchange_order_id, report.client_order_id)
    produced: list[DomainEvent] = []
    if order is None:
        order = _adopt(report)
        await state.add_order(order)
    if report.exchange_order_id is not None:
        pending = await uow.executions.for_order(report.exchange_order_id)
        order, produced = await _apply_executions(state, order, pending)
    change = order.apply_status(
        report.status,
        event.occurred_at,
        filled_quantity=report.filled_quantity,
        exchange_order_id=report.exchange_order_id,
        reason=report.reason,
    )
    if change.order != order:
        state.save_order(change.order)
    produced += change.events
    return produced


async def _on_balance(uow: UnitOfWork, event: BalanceReported) -> list[DomainEvent]:
    previous = await uow.balances.get(event.balance.asset)
    if previous == event.balance:
        return []
    await uow.balances.save(event.balance)
    return [BalanceChanged(previous=previous, current=event.balance, occurred_at=event.balance.updated_at)]


def _adopt(report: Order) -> Order:
    """An order we did not place: track it from zero fills, marked external; its fills are applied as they come."""
    return attrs.evolve(
        report,
        status=report.status if report.status.value in ("new", "pending_new") else "new",
        filled_quantity=0,
        filled_cost=0,
        fees={},
        exec_ids=frozenset(),
        closed_filled_quantity=None,
        external=True,
    )


async def _apply_executions(
    state: TrackedState, order: Order, executions: Sequence[Execution]
) -> tuple[Order, list[DomainEvent]]:
    """Apply the executions the order has not seen yet, and move the position with each; save both."""
    produced: list[DomainEvent] = []
    position = await state.position(order.symbol)
    for execution in sorted(executions, key=lambda e: (e.timestamp, e.exec_id)):
        change = order.apply_execution(execution)
        if change.order is order:
            continue
        order = change.order
        produced += change.events
        position = (position or Position.flat(order.symbol, execution.timestamp)).apply_fill(execution)
        produced.append(PositionChanged(position=position, occurred_at=execution.timestamp))
    if produced:
        state.save_order(order)
        assert position is not None
        state.save_position(position)
    return order, produced

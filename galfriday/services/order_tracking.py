"""Order tracking: apply what the exchange reports to our orders, fills, positions and balances.

Each event is applied in one unit of work, then the resulting domain events are published. The execution store
is the idempotency key: an execution already stored changes nothing, so duplicated delivery (stream plus REST
backfill, or a replayed journal) is harmless. An execution that arrives before its order is known is kept and
applied when the order is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

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
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.ports.bus import EventBus
from galfriday.ports.stores import Store, UnitOfWork

log = logging.getLogger(__name__)


class OrderTracker:
    """Keeps the store in step with the exchange, one event at a time."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self._store = store
        self._bus = bus

    async def record_placed(self, order: Order) -> None:
        """Persist an order we are about to send (or have sent), before any report about it can arrive."""
        async with self._store.unit_of_work() as uow:
            await uow.orders.save(order)
            await uow.commit()

    async def handle(self, event: ExchangeEvent) -> list[DomainEvent]:
        """Apply one exchange event; publish it and the domain events it caused; return the latter."""
        if isinstance(event, ExecutionReported):
            produced = await self._on_execution(event.execution)
        elif isinstance(event, OrderReported):
            produced = await self._on_order(event)
        elif isinstance(event, BalanceReported):
            produced = await self._on_balance(event)
        else:
            produced = []
        await self._bus.publish(event.topic, event)
        for domain_event in produced:
            await self._bus.publish(domain_event.topic, domain_event)
        return produced

    async def _on_execution(self, execution: Execution) -> list[DomainEvent]:
        async with self._store.unit_of_work() as uow:
            if not await uow.executions.add(execution):
                return []
            order = await _find_order(uow, execution.order_id, execution.client_order_id)
            if order is None:
                log.info(
                    "execution %s arrived before order %s; kept for later",
                    execution.exec_id,
                    execution.order_id,
                )
                await uow.commit()
                return []
            _, produced = await _apply_executions(uow, order, [execution])
            await uow.commit()
        return produced

    async def _on_order(self, event: OrderReported) -> list[DomainEvent]:
        report = event.order
        async with self._store.unit_of_work() as uow:
            order = await _find_order(uow, report.exchange_order_id, report.client_order_id)
            produced: list[DomainEvent] = []
            if order is None:
                order = _adopt(report)
                await uow.orders.add(order)
            if report.exchange_order_id is not None:
                pending = await uow.executions.for_order(report.exchange_order_id)
                order, produced = await _apply_executions(uow, order, pending)
            change = order.apply_status(
                report.status,
                event.occurred_at,
                filled_quantity=report.filled_quantity,
                exchange_order_id=report.exchange_order_id,
                reason=report.reason,
            )
            if change.order != order:
                await uow.orders.save(change.order)
            produced += change.events
            await uow.commit()
        return produced

    async def _on_balance(self, event: BalanceReported) -> list[DomainEvent]:
        async with self._store.unit_of_work() as uow:
            previous = await uow.balances.get(event.balance.asset)
            if previous == event.balance:
                return []
            await uow.balances.save(event.balance)
            await uow.commit()
        return [
            BalanceChanged(previous=previous, current=event.balance, occurred_at=event.balance.updated_at)
        ]


async def _find_order(
    uow: UnitOfWork, exchange_order_id: str | None, client_order_id: str | None
) -> Order | None:
    if exchange_order_id is not None:
        order = await uow.orders.get_by_exchange_id(exchange_order_id)
        if order is not None:
            return order
    if client_order_id is not None:
        return await uow.orders.get(client_order_id)
    return None


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
    uow: UnitOfWork, order: Order, executions: Sequence[Execution]
) -> tuple[Order, list[DomainEvent]]:
    """Apply the executions the order has not seen yet, and move the position with each; save both."""
    produced: list[DomainEvent] = []
    position = await uow.positions.get(order.symbol)
    for execution in sorted(executions, key=lambda e: (e.timestamp, e.exec_id)):
        change = order.apply_execution(execution)
        if change.order is order:
            continue
        order = change.order
        produced += change.events
        position = (position or Position.flat(order.symbol, execution.timestamp)).apply_fill(execution)
        produced.append(PositionChanged(position=position, occurred_at=execution.timestamp))
    if produced:
        await uow.orders.save(order)
        assert position is not None
        await uow.positions.save(position)
    return order, produced

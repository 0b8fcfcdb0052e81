"""The orders and positions one unit of work of `OrderTracker` has read or changed, written once at its end.

A backfill applies hundreds of fills of a few orders in one unit of work; reading and saving the order and the
position again for every fill would cost three store round trips per fill. `TrackedState` keeps what was read
(by client order id, with an index by exchange order id) and what changed, and `flush` saves each changed order
and position once. Every read of an order or position in that unit of work must go through it.
"""

from __future__ import annotations

from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.ports.stores import UnitOfWork


class TrackedState:
    """A read-through, write-behind view of the orders and positions of one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._orders: dict[str, Order] = {}
        self._by_exchange_id: dict[str, str] = {}
        self._positions: dict[str, Position | None] = {}
        self._changed_orders: set[str] = set()
        self._changed_positions: set[str] = set()

    async def find_order(self, exchange_order_id: str | None, client_order_id: str | None) -> Order | None:
        """The order by exchange order id, else by client order id; None if the store has neither."""
        if exchange_order_id is not None:
            known = self._by_exchange_id.get(exchange_order_id)
            if known is not None:
                return self._orders[known]
            order = await self._uow.orders.get_by_exchange_id(exchange_order_id)
            if order is not None:
                return self._remember(order)
        if client_order_id is not None:
            if client_order_id in self._orders:
                return self._orders[client_order_id]
            order = await self._uow.orders.get(client_order_id)
            if order is not None:
                return self._remember(order)
        return None

    async def add_order(self, order: Order) -> None:
        """Insert a new order now (so a taken client order id is refused at once)."""
        await self._uow.orders.add(order)
        self._remember(order)

    def save_order(self, order: Order) -> None:
        self._remember(order)
        self._changed_orders.add(order.client_order_id)

    async def position(self, symbol: str) -> Position | None:
        if symbol not in self._positions:
            self._positions[symbol] = await self._uow.positions.get(symbol)
        return self._positions[symbol]

    def save_position(self, position: Position) -> None:
        self._positions[position.symbol] = position
        self._changed_positions.add(position.symbol)

    async def flush(self) -> None:
        """Save every changed order and position once (orders by client order id, then positions by symbol)."""
        for client_order_id in sorted(self._changed_orders):
            await self._uow.orders.save(self._orders[client_order_id])
        for symbol in sorted(self._changed_positions):
            position = self._positions[symbol]
            assert position is not None
            await self._uow.positions.save(position)
        self._changed_orders.clear()
        self._changed_positions.clear()

    def _remember(self, order: Order) -> Order:
        self._orders[order.client_order_id] = order
        if order.exchange_order_id is not None:
            self._by_exchange_id[order.exchange_order_id] = order.client_order_id
        return order

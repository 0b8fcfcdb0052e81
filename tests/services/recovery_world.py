"""A small world for the stream services: a FakeExchange, the memory store and bus, an OrderTracker, on the
real clock (polling intervals are hundredths of a second), and helpers to place orders the way an app does."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

from attrs import define

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.events import ExchangeEvent, ExecutionReported, StreamRecoveryNeeded
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.orders import Order, OrderType
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import StreamHealth
from galfriday.services.order_tracking import OrderTracker
from galfriday.testing.eventually import eventually as eventually  # re-exported: the tests wait with it

PAIRS = (TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")),)
PRICE = Decimal("49000.0")
QUANTITY = Decimal("0.01")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


@define
class World:
    clock: Clock
    exchange: FakeExchange
    store: MemoryStore
    bus: MemoryEventBus
    tracker: OrderTracker

    async def submit(self, side: OrderSide = OrderSide.BUY, price: Decimal = PRICE) -> Order:
        """Record an order, then place it: what an app does, so the tracker knows it before any report."""
        order = self.new_order(side, price)
        await self.tracker.record_placed(order)
        return await self.exchange.place_order(order)

    def new_order(self, side: OrderSide = OrderSide.BUY, price: Decimal = PRICE) -> Order:
        return Order.create(
            client_order_id=f"w{next(_ids)}",
            symbol="BTC/USD",
            side=side,
            order_type=OrderType.LIMIT,
            quantity=QUANTITY,
            limit_price=price,
            at=self.clock.now(),
        )

    async def fill_against(self, order: Order, quantity: Decimal = QUANTITY) -> None:
        """Another trader takes `quantity` of our resting order."""
        other = OrderSide.SELL if order.side is OrderSide.BUY else OrderSide.BUY
        assert order.limit_price is not None
        await self.exchange.trade("BTC/USD", other, order.limit_price, quantity)

    async def stored_order(self, client_order_id: str) -> Order | None:
        async with self.store.unit_of_work() as uow:
            return await uow.orders.get(client_order_id)

    async def stored_executions(self) -> list[Execution]:
        async with self.store.unit_of_work() as uow:
            return await uow.executions.since(EPOCH)


async def make_world(clock: Clock | None = None) -> World:
    clock = clock or SystemClock()
    exchange = FakeExchange(
        clock=clock, pairs=PAIRS, balances={"USD": Decimal("100000"), "BTC": Decimal("1")}
    )
    await exchange.start()
    store = MemoryStore()
    await store.start()
    bus = MemoryEventBus(maxsize=10_000)
    return World(clock, exchange, store, bus, OrderTracker(store, bus))


class LossyStream:
    """The FakeExchange's stream, losing the next `drop` executions and then announcing a gap, as a stream
    that tracks sequence numbers does when frames go missing."""

    def __init__(self, exchange: FakeExchange, drop: int) -> None:
        self._exchange = exchange
        self._drop = drop

    def health(self) -> StreamHealth:
        return self._exchange.health()

    async def subscribe(self, symbols: object, channels: object) -> None:
        raise NotImplementedError("market data is not part of these tests")

    async def unsubscribe(self, symbols: object, channels: object) -> None:
        raise NotImplementedError("market data is not part of these tests")

    def events(self) -> AsyncIterator[ExchangeEvent]:
        return self._lossy(self._exchange.events())  # subscribed now, as the port promises

    async def _lossy(self, source: AsyncIterator[ExchangeEvent]) -> AsyncIterator[ExchangeEvent]:
        async for event in source:
            if isinstance(event, ExecutionReported) and self._drop > 0:
                self._drop -= 1
                if self._drop == 0:
                    yield StreamRecoveryNeeded(
                        exchange="memory",
                        reason="gap",
                        since=event.execution.timestamp,
                        occurred_at=event.execution.timestamp,
                    )
                continue
            yield event

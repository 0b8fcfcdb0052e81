"""MemoryEventBus: ordered, bounded, lossless delivery; closing semantics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from galfriday.adapters.memory.bus import MemoryEventBus, MemorySubscription
from galfriday.errors import BusClosedError, InvalidValueError

T = TypeVar("T")


async def within(awaitable: Awaitable[T], seconds: float = 1.0) -> T:
    """Fail instead of hanging when something that should finish does not."""
    return await asyncio.wait_for(awaitable, seconds)


async def settle() -> None:
    """Let every ready task run until it blocks."""
    for _ in range(10):
        await asyncio.sleep(0)


async def take(subscription: MemorySubscription, count: int) -> list[Any]:
    return [await within(anext(subscription)) for _ in range(count)]


async def drain(subscription: MemorySubscription) -> list[Any]:
    async def collect() -> list[Any]:
        return [event async for event in subscription]

    return await within(collect())


async def test_a_subscriber_receives_its_topic_in_publication_order() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    for n in range(5):
        await bus.publish("orders", n)
    assert await take(orders, 5) == [0, 1, 2, 3, 4]


async def test_a_subscriber_does_not_receive_other_topics() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    await bus.publish("trades", "t1")
    await bus.publish("orders", "o1")
    assert await take(orders, 1) == ["o1"]
    assert orders.lag == 0


async def test_every_subscriber_of_a_topic_receives_every_event() -> None:
    bus = MemoryEventBus()
    first, second = bus.subscribe("orders"), bus.subscribe("orders")
    await bus.publish("orders", "o1")
    await bus.publish("orders", "o2")
    assert await take(first, 2) == ["o1", "o2"]
    assert await take(second, 2) == ["o1", "o2"]


async def test_a_subscription_receives_only_events_published_after_it_subscribed() -> None:
    bus = MemoryEventBus()
    await bus.publish("orders", "before")
    late = bus.subscribe("orders")
    await bus.publish("orders", "after")
    assert await take(late, 1) == ["after"]
    assert late.lag == 0


async def test_the_wildcard_receives_every_topic_in_publication_order() -> None:
    bus = MemoryEventBus()
    everything = bus.subscribe("*")
    await bus.publish("orders", "o1")
    await bus.publish("trades", "t1")
    await bus.publish("orders", "o2")
    assert await take(everything, 3) == ["o1", "t1", "o2"]


async def test_publishing_on_the_wildcard_is_refused() -> None:
    bus = MemoryEventBus()
    with pytest.raises(InvalidValueError) as raised:
        await bus.publish("*", "event")
    assert raised.value.field == "topic"


async def test_lag_counts_events_queued_and_not_yet_consumed() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    for n in range(3):
        await bus.publish("orders", n)
    assert orders.lag == 3
    await take(orders, 1)
    assert orders.lag == 2


async def test_publish_waits_while_a_subscriber_queue_is_full() -> None:
    bus = MemoryEventBus(maxsize=2)
    orders = bus.subscribe("orders")
    await bus.publish("orders", 1)
    await bus.publish("orders", 2)
    third = asyncio.create_task(bus.publish("orders", 3))
    await settle()
    assert not third.done()
    assert await take(orders, 1) == [1]
    await within(third)
    assert await take(orders, 2) == [2, 3]


async def test_a_slow_subscriber_loses_nothing() -> None:
    bus = MemoryEventBus(maxsize=3)
    orders = bus.subscribe("orders")

    async def produce() -> None:
        for n in range(100):
            await bus.publish("orders", n)

    producer = asyncio.create_task(produce())
    received = []
    for _ in range(100):
        received.append(await within(anext(orders)))
        await asyncio.sleep(0)
    await within(producer)
    assert received == list(range(100))


async def test_publishers_blocked_by_a_full_queue_deliver_in_the_order_they_published() -> None:
    bus = MemoryEventBus(maxsize=1)
    orders = bus.subscribe("orders")
    await bus.publish("orders", "first")
    blocked = [asyncio.create_task(bus.publish("orders", name)) for name in ("second", "third", "fourth")]
    await settle()
    assert await take(orders, 4) == ["first", "second", "third", "fourth"]
    await within(asyncio.gather(*blocked))


async def test_a_subscription_maxsize_overrides_the_bus_default() -> None:
    bus = MemoryEventBus(maxsize=100)
    small = bus.subscribe("orders", maxsize=1)
    await bus.publish("orders", 1)
    blocked = asyncio.create_task(bus.publish("orders", 2))
    await settle()
    assert not blocked.done()
    await take(small, 2)
    await within(blocked)


@pytest.mark.parametrize("maxsize", [0, -1, True, 1.5])
def test_queues_must_be_bounded(maxsize: Any) -> None:
    with pytest.raises(InvalidValueError):
        MemoryEventBus(maxsize=maxsize)
    with pytest.raises(InvalidValueError):
        MemoryEventBus().subscribe("orders", maxsize=maxsize)


async def test_published_counts_are_kept_per_topic() -> None:
    bus = MemoryEventBus()
    await bus.publish("orders", 1)
    await bus.publish("orders", 2)
    await bus.publish("trades", 3)
    assert bus.published_counts == {"orders": 2, "trades": 1}


async def test_a_closed_subscription_ends_its_iteration_and_receives_nothing_more() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    await bus.publish("orders", "queued")
    await orders.close()
    await bus.publish("orders", "later")
    assert await drain(orders) == []
    assert orders.lag == 0


async def test_closing_a_subscription_leaves_the_others_subscribed() -> None:
    bus = MemoryEventBus()
    leaving, staying = bus.subscribe("orders"), bus.subscribe("orders")
    await leaving.close()
    await bus.publish("orders", "o1")
    assert await take(staying, 1) == ["o1"]


async def test_closing_a_subscription_releases_a_publisher_blocked_on_it() -> None:
    bus = MemoryEventBus(maxsize=1)
    stalled = bus.subscribe("orders")
    await bus.publish("orders", 1)
    blocked = asyncio.create_task(bus.publish("orders", 2))
    await settle()
    await stalled.close()
    await within(blocked)
    assert stalled.lag == 0


async def test_closing_a_subscription_wakes_its_waiting_consumer() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    consumer = asyncio.create_task(drain(orders))
    await settle()
    await orders.close()
    assert await within(consumer) == []


async def test_publish_after_close_raises_bus_closed() -> None:
    bus = MemoryEventBus()
    await bus.close()
    with pytest.raises(BusClosedError):
        await bus.publish("orders", 1)


async def test_subscribe_after_close_raises_bus_closed() -> None:
    bus = MemoryEventBus()
    await bus.close()
    with pytest.raises(BusClosedError):
        bus.subscribe("orders")


async def test_after_close_subscribers_drain_queued_events_then_iteration_ends() -> None:
    bus = MemoryEventBus()
    orders, everything = bus.subscribe("orders"), bus.subscribe("*")
    await bus.publish("orders", 1)
    await bus.publish("orders", 2)
    await bus.close()
    assert await drain(orders) == [1, 2]
    assert await drain(everything) == [1, 2]
    with pytest.raises(StopAsyncIteration):
        await anext(orders)


async def test_close_wakes_a_consumer_waiting_on_an_empty_queue() -> None:
    bus = MemoryEventBus()
    orders = bus.subscribe("orders")
    consumer = asyncio.create_task(drain(orders))
    await settle()
    await bus.close()
    assert await within(consumer) == []
    assert orders.lag == 0


async def test_close_ends_a_full_subscription_only_after_it_is_drained() -> None:
    bus = MemoryEventBus(maxsize=2)
    orders = bus.subscribe("orders")
    await bus.publish("orders", 1)
    await bus.publish("orders", 2)
    await bus.close()
    assert await drain(orders) == [1, 2]


async def test_a_publish_under_way_at_close_is_still_delivered() -> None:
    bus = MemoryEventBus(maxsize=1)
    orders = bus.subscribe("orders")
    await bus.publish("orders", 1)
    under_way = asyncio.create_task(bus.publish("orders", 2))
    await settle()
    await bus.close()
    assert await drain(orders) == [1, 2]
    await within(under_way)


async def test_closing_twice_is_harmless() -> None:
    bus = MemoryEventBus()
    await bus.close()
    await bus.close()
    assert bus.closed

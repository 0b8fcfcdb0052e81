"""EventFanout: one reader of a single-consumer source, every event to every subscriber."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from galfriday.adapters.kraken.fanout import EventFanout


class Source:
    """A single-consumer source: a queue read by one iterator, ended by `None`."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[int | None] = asyncio.Queue()
        self.readers = 0

    async def events(self) -> AsyncIterator[int]:
        self.readers += 1
        while (item := await self.queue.get()) is not None:
            yield item


async def take(events: AsyncIterator[int], count: int) -> list[int]:
    return [await asyncio.wait_for(anext(events), 1) for _ in range(count)]


async def test_every_subscriber_gets_every_event() -> None:
    source = Source()
    fanout = EventFanout(source.events)
    first, second = fanout.subscribe(), fanout.subscribe()

    for item in (1, 2, 3):
        source.queue.put_nowait(item)

    assert await take(first, 3) == [1, 2, 3]
    assert await take(second, 3) == [1, 2, 3]
    assert source.readers == 1
    await fanout.close()


async def test_the_source_is_read_only_from_the_first_subscription_so_nothing_before_it_is_lost() -> None:
    source = Source()
    fanout = EventFanout(source.events)
    source.queue.put_nowait(1)
    await asyncio.sleep(0.01)
    assert source.readers == 0

    events = fanout.subscribe()

    assert await take(events, 1) == [1]
    await fanout.close()


async def test_a_later_subscriber_sees_events_from_its_subscription_on() -> None:
    source = Source()
    fanout = EventFanout(source.events)
    early = fanout.subscribe()
    source.queue.put_nowait(1)
    assert await take(early, 1) == [1]

    late = fanout.subscribe()
    source.queue.put_nowait(2)

    assert await take(late, 1) == [2]
    assert await take(early, 1) == [2]
    await fanout.close()


async def test_when_the_source_ends_every_subscriber_ends_after_what_it_has_queued() -> None:
    source = Source()
    fanout = EventFanout(source.events)
    events = fanout.subscribe()
    source.queue.put_nowait(1)
    source.queue.put_nowait(None)

    assert [item async for item in events] == [1]
    await fanout.close()


async def test_close_ends_the_iterations_and_later_subscriptions() -> None:
    source = Source()
    fanout = EventFanout(source.events)
    events = fanout.subscribe()

    await fanout.close()

    assert [item async for item in events] == []
    assert [item async for item in fanout.subscribe()] == []


async def test_a_subscriber_that_left_no_longer_holds_the_reader_back() -> None:
    source = Source()
    fanout = EventFanout(source.events, maxsize=1)
    staying, leaving = fanout.subscribe(), fanout.subscribe()
    source.queue.put_nowait(1)
    source.queue.put_nowait(2)
    await asyncio.sleep(0.01)

    await leaving.aclose()  # type: ignore[attr-defined]

    assert await take(staying, 2) == [1, 2]
    await fanout.close()

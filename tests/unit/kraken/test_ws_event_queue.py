"""The events queue: bounded for data, never for control items, one FIFO for both."""

from __future__ import annotations

import asyncio

import pytest

from galfriday.adapters.kraken.ws_event_queue import EventQueue
from galfriday.errors import InvalidValueError


async def test_items_come_out_in_the_order_they_went_in() -> None:
    queue: EventQueue[int] = EventQueue(10)
    for n in range(3):
        assert queue.put_nowait(n)
    queue.put_control(3)
    assert [await queue.get() for _ in range(4)] == [0, 1, 2, 3]
    assert queue.empty()


async def test_data_is_refused_when_full_and_waits_for_room() -> None:
    queue: EventQueue[int] = EventQueue(2)
    assert queue.put_nowait(1)
    assert queue.put_nowait(2)
    assert not queue.put_nowait(3)
    assert queue.full()
    waiting = asyncio.get_running_loop().create_task(queue.put(3))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    assert await queue.get() == 1
    await asyncio.wait_for(waiting, 1)
    assert [await queue.get(), await queue.get()] == [2, 3]


async def test_control_items_go_in_beyond_the_bound() -> None:
    queue: EventQueue[str] = EventQueue(1)
    queue.put_nowait("data")
    queue.put_control("healthy")
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["data", "healthy"]


async def test_a_getter_waits_for_an_item() -> None:
    queue: EventQueue[str] = EventQueue(1)
    getting = asyncio.get_running_loop().create_task(queue.get())
    await asyncio.sleep(0.01)
    assert not getting.done()
    queue.put_control("end")
    assert await asyncio.wait_for(getting, 1) == "end"


async def test_two_waiting_producers_never_overfill_it() -> None:
    queue: EventQueue[int] = EventQueue(1)
    queue.put_nowait(0)
    producers = [asyncio.get_running_loop().create_task(queue.put(n)) for n in (1, 2)]
    await asyncio.sleep(0.01)
    assert await queue.get() == 0
    await asyncio.sleep(0.01)
    assert len(queue) == 1
    assert await queue.get() == 1
    await asyncio.gather(*producers)
    assert await queue.get() == 2


def test_a_queue_without_room_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        EventQueue(0)

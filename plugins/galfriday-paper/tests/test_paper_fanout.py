"""The fan-out behind `events()`: each subscriber gets every item published after it subscribed, in order."""

from __future__ import annotations

from galfriday_paper.fanout import FanOut
from paper_market import drained


async def test_a_subscriber_sees_what_is_published_after_it_subscribed_in_order() -> None:
    fanout: FanOut[int] = FanOut()
    fanout.publish(0)
    subscription = fanout.subscribe()

    fanout.publish(1)
    fanout.publish(2)

    assert await drained(subscription) == [1, 2]


async def test_every_subscriber_sees_every_item() -> None:
    fanout: FanOut[str] = FanOut()
    first, second = fanout.subscribe(), fanout.subscribe()

    fanout.publish("a")

    assert (await drained(first), await drained(second)) == (["a"], ["a"])


async def test_a_closed_subscription_is_detached_and_ends() -> None:
    fanout: FanOut[int] = FanOut()
    subscription = fanout.subscribe()

    await subscription.aclose()
    fanout.publish(1)

    assert fanout.subscribers == 0
    assert [item async for item in subscription] == []


async def test_closing_the_fan_out_ends_its_subscriptions_after_what_they_had_not_read() -> None:
    fanout: FanOut[int] = FanOut()
    subscription = fanout.subscribe()
    fanout.publish(1)

    fanout.close()

    assert [item async for item in subscription] == [1]
    assert [item async for item in fanout.subscribe()] == []

"""Wanted subscriptions as state: what each connection sends, how far each got, what a lost connection resets."""

from __future__ import annotations

import pytest

from galfriday.adapters.kraken.ws_subscriptions import (
    DesiredSubscriptions,
    SubscriptionStatus,
    batches,
)
from galfriday.errors import InvalidValueError

READY = SubscriptionStatus.READY


def private_and_books() -> DesiredSubscriptions:
    wanted = DesiredSubscriptions()
    wanted.want("executions", options={"snap_orders": True, "snap_trades": True})
    wanted.want("balances", options={"snapshot": True})
    wanted.want("book", ["BTC/USD", "ETH/USD"], {"depth": 10})
    wanted.want("ticker", ["BTC/USD"])
    return wanted


def test_subscriptions_belong_to_the_endpoint_of_their_channel() -> None:
    wanted = private_and_books()
    assert [s.channel for s in wanted.of_endpoint(private=True)] == ["executions", "balances"]
    assert [s.describe() for s in wanted.of_endpoint(private=False)] == [
        "book BTC/USD",
        "book ETH/USD",
        "ticker BTC/USD",
    ]


def test_wanting_the_same_subscription_twice_adds_it_once() -> None:
    wanted = private_and_books()
    assert wanted.want("book", ["BTC/USD"], {"depth": 10}) == []
    assert len(wanted) == 5


def test_wanting_it_with_other_options_replaces_it_to_be_sent_again() -> None:
    wanted = private_and_books()
    [replaced] = wanted.want("book", ["BTC/USD"], {"depth": 25})
    assert replaced.options == {"depth": 25}
    assert replaced.status is SubscriptionStatus.PENDING


def test_a_symbol_channel_needs_a_symbol_and_a_private_one_takes_none() -> None:
    wanted = DesiredSubscriptions()
    with pytest.raises(InvalidValueError):
        wanted.want("book")
    with pytest.raises(InvalidValueError):
        wanted.want("executions", ["BTC/USD"])


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(InvalidValueError):
        DesiredSubscriptions().want("openOrders")


def test_stateful_channels_are_ready_only_after_their_snapshot() -> None:
    wanted = private_and_books()
    wanted.sent(wanted.pending(private=False))
    assert wanted.acked("book", "BTC/USD").status is SubscriptionStatus.ACKED  # type: ignore[union-attr]
    assert wanted.acked("ticker", "BTC/USD").status is READY  # type: ignore[union-attr]
    assert wanted.snapshot_received("book", "BTC/USD")
    assert wanted.get("book", "BTC/USD").status is READY  # type: ignore[union-attr]


def test_an_endpoint_is_ready_when_every_subscription_of_it_is() -> None:
    wanted = private_and_books()
    for channel in ("executions", "balances"):
        wanted.acked(channel, None)
        assert not wanted.ready(private=True)
        wanted.snapshot_received(channel, None)
    assert wanted.ready(private=True)
    assert not wanted.ready(private=False)
    assert wanted.first_not_ready(private=False).describe() == "book BTC/USD"  # type: ignore[union-attr]


def test_a_snapshot_before_the_ack_does_not_make_it_ready() -> None:
    wanted = private_and_books()
    assert not wanted.snapshot_received("executions", None)
    assert wanted.get("executions").status is SubscriptionStatus.PENDING  # type: ignore[union-attr]


def test_a_lost_connection_sends_every_subscription_of_its_endpoint_again() -> None:
    wanted = private_and_books()
    for subscription in wanted.of_endpoint(private=True) + wanted.of_endpoint(private=False):
        wanted.acked(subscription.channel, subscription.symbol)
        wanted.snapshot_received(subscription.channel, subscription.symbol)
    wanted.connection_lost(private=True)
    assert [s.channel for s in wanted.pending(private=True)] == ["executions", "balances"]
    assert wanted.ready(private=False)


def test_a_resync_sends_one_subscription_again() -> None:
    wanted = private_and_books()
    wanted.acked("book", "ETH/USD")
    wanted.snapshot_received("book", "ETH/USD")
    wanted.resend("book", "ETH/USD")
    assert wanted.get("book", "ETH/USD").status is SubscriptionStatus.PENDING  # type: ignore[union-attr]


def test_a_dropped_subscription_is_no_longer_wanted_nor_acked() -> None:
    wanted = private_and_books()
    assert wanted.drop("ticker", "BTC/USD") is not None
    assert wanted.acked("ticker", "BTC/USD") is None
    assert wanted.drop("ticker", "BTC/USD") is None


def test_instrument_is_sent_before_the_books_that_need_its_precisions() -> None:
    wanted = private_and_books()
    wanted.want("instrument")
    assert wanted.pending(private=False)[0].channel == "instrument"


def test_batches_group_symbols_of_one_channel_and_options() -> None:
    wanted = private_and_books()
    wanted.want("book", ["XRP/USD"], {"depth": 25})
    requests = [batch.params() for batch in batches(wanted.pending(private=False))]
    assert requests == [
        {"channel": "book", "depth": 10, "symbol": ["BTC/USD", "ETH/USD"]},
        {"channel": "ticker", "symbol": ["BTC/USD"]},
        {"channel": "book", "depth": 25, "symbol": ["XRP/USD"]},
    ]


def test_a_private_batch_has_no_symbol_list() -> None:
    wanted = private_and_books()
    assert [batch.params() for batch in batches(wanted.pending(private=True))] == [
        {"channel": "executions", "snap_orders": True, "snap_trades": True},
        {"channel": "balances", "snapshot": True},
    ]


def test_a_bad_snapshot_awaits_a_fresh_one_without_being_sent_again_yet() -> None:
    wanted = private_and_books()
    wanted.acked("book", "BTC/USD")
    wanted.snapshot_received("book", "BTC/USD")
    assert wanted.snapshot_invalidated("book", "BTC/USD")
    assert wanted.get("book", "BTC/USD").status is SubscriptionStatus.ACKED  # type: ignore[union-attr]
    assert "book BTC/USD" not in [s.describe() for s in wanted.pending(private=False)]
    assert not wanted.snapshot_invalidated("book", "XRP/USD")

"""The subscriptions a Kraken stream wants, as state: what to (re)send on each connection, and how far each got.

Each wanted subscription is one (channel, symbol) on one endpoint (public or private). Its status moves
PENDING (to send) → SENT (awaiting its ack) → ACKED → READY (its snapshot arrived, or it takes none); a lost
connection sends every subscription of that endpoint back to PENDING, so that a reconnect resubscribes
everything with fresh snapshots. Only the stateful channels wait for a snapshot before they count as ready:
`executions`, `balances` and `book` (a `trade` snapshot may be empty, and the others carry no state to lose).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from attrs import define, field

from galfriday.errors import InvalidValueError

__all__ = [
    "PRIVATE_CHANNELS",
    "PUBLIC_CHANNELS",
    "SNAPSHOT_CHANNELS",
    "DesiredSubscriptions",
    "SubscribeBatch",
    "SubscriptionKey",
    "SubscriptionStatus",
    "WantedSubscription",
    "batches",
]

PRIVATE_CHANNELS = frozenset({"executions", "balances"})
PUBLIC_CHANNELS = frozenset({"book", "ticker", "trade", "ohlc", "instrument"})
SYMBOL_CHANNELS = frozenset({"book", "ticker", "trade", "ohlc"})
SNAPSHOT_CHANNELS = frozenset({"executions", "balances", "book"})


class SubscriptionKey(NamedTuple):
    channel: str
    symbol: str | None


class SubscriptionStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ACKED = "acked"
    READY = "ready"


@define
class WantedSubscription:
    """One (channel, symbol) the stream wants, its request options (without token) and its progress."""

    channel: str
    symbol: str | None
    options: dict[str, Any] = field(factory=dict)
    status: SubscriptionStatus = SubscriptionStatus.PENDING

    @property
    def key(self) -> SubscriptionKey:
        return SubscriptionKey(self.channel, self.symbol)

    @property
    def private(self) -> bool:
        return self.channel in PRIVATE_CHANNELS

    @property
    def needs_snapshot(self) -> bool:
        return self.channel in SNAPSHOT_CHANNELS and self.options.get("snapshot", True) is not False

    def describe(self) -> str:
        return self.channel if self.symbol is None else f"{self.channel} {self.symbol}"


class DesiredSubscriptions:
    """Every subscription wanted, by key, in the order they were first wanted."""

    def __init__(self) -> None:
        self._wanted: dict[SubscriptionKey, WantedSubscription] = {}

    def __len__(self) -> int:
        return len(self._wanted)

    def __contains__(self, key: object) -> bool:
        return key in self._wanted

    def get(self, channel: str, symbol: str | None = None) -> WantedSubscription | None:
        return self._wanted.get(SubscriptionKey(channel, symbol))

    # --- what is wanted -----------------------------------------------------------------------------

    def want(
        self, channel: str, symbols: Iterable[str | None] = (None,), options: Mapping[str, Any] | None = None
    ) -> list[WantedSubscription]:
        """Want `channel` for each symbol (None for channels without symbols); the ones newly wanted.

        Wanting again with other options replaces them; the subscription is then sent again.
        """
        if channel not in PRIVATE_CHANNELS | PUBLIC_CHANNELS:
            raise InvalidValueError(
                "channel", channel, f"one of {sorted(PRIVATE_CHANNELS | PUBLIC_CHANNELS)}"
            )
        added: list[WantedSubscription] = []
        for symbol in symbols:
            if (symbol is None) == (channel in SYMBOL_CHANNELS):
                expected = "a symbol such as BTC/USD" if channel in SYMBOL_CHANNELS else "no symbol"
                raise InvalidValueError(f"{channel} symbol", symbol, expected)
            key = SubscriptionKey(channel, symbol)
            wanted_options = dict(options or {})
            current = self._wanted.get(key)
            if current is not None and current.options == wanted_options:
                continue
            subscription = WantedSubscription(channel, symbol, wanted_options)
            self._wanted[key] = subscription
            added.append(subscription)
        return added

    def drop(self, channel: str, symbol: str | None = None) -> WantedSubscription | None:
        """Stop wanting it; the subscription dropped (None if it was not wanted)."""
        return self._wanted.pop(SubscriptionKey(channel, symbol), None)

    def of_endpoint(self, private: bool) -> list[WantedSubscription]:
        return [s for s in self._wanted.values() if s.private == private]

    def pending(self, private: bool) -> list[WantedSubscription]:
        """Those of one endpoint still to be sent, `instrument` first (book checksums need its precisions)."""
        found = [s for s in self.of_endpoint(private) if s.status is SubscriptionStatus.PENDING]
        return sorted(found, key=lambda s: s.channel != "instrument")

    # --- progress -----------------------------------------------------------------------------------

    def connection_lost(self, private: bool) -> None:
        """Every subscription of the endpoint must be sent again on the next connection."""
        for subscription in self.of_endpoint(private):
            subscription.status = SubscriptionStatus.PENDING

    def sent(self, subscriptions: Iterable[WantedSubscription]) -> None:
        for subscription in subscriptions:
            subscription.status = SubscriptionStatus.SENT

    def acked(self, channel: str, symbol: str | None) -> WantedSubscription | None:
        """Kraken confirmed it: ready now unless it awaits a snapshot. None if it is not wanted (any more)."""
        subscription = self._wanted.get(SubscriptionKey(channel, symbol))
        if subscription is None:
            return None
        subscription.status = (
            SubscriptionStatus.ACKED if subscription.needs_snapshot else SubscriptionStatus.READY
        )
        return subscription

    def snapshot_received(self, channel: str, symbol: str | None) -> bool:
        """Its snapshot arrived after its ack; True if that made it ready."""
        subscription = self._wanted.get(SubscriptionKey(channel, symbol))
        if subscription is None or subscription.status is not SubscriptionStatus.ACKED:
            return False
        subscription.status = SubscriptionStatus.READY
        return True

    def snapshot_invalidated(self, channel: str, symbol: str | None) -> bool:
        """Its data went bad (a checksum mismatch): it awaits a fresh snapshot, subscribed as it is, until
        `resend` once it is unsubscribed. True if it is wanted."""
        subscription = self._wanted.get(SubscriptionKey(channel, symbol))
        if subscription is None:
            return False
        if subscription.status is SubscriptionStatus.READY:
            subscription.status = SubscriptionStatus.ACKED
        return True

    def resend(self, channel: str, symbol: str | None) -> WantedSubscription | None:
        """It must be subscribed afresh (a resync): back to PENDING."""
        subscription = self._wanted.get(SubscriptionKey(channel, symbol))
        if subscription is not None:
            subscription.status = SubscriptionStatus.PENDING
        return subscription

    def awaiting_snapshot(self, private: bool) -> bool:
        return any(s.status is SubscriptionStatus.ACKED for s in self.of_endpoint(private))

    def ready(self, private: bool) -> bool:
        return all(s.status is SubscriptionStatus.READY for s in self.of_endpoint(private))

    def first_not_ready(self, private: bool) -> WantedSubscription | None:
        for subscription in self.of_endpoint(private):
            if subscription.status is not SubscriptionStatus.READY:
                return subscription
        return None


class SubscribeBatch(NamedTuple):
    """Subscriptions sent as one request: one channel, the same options, their symbols in one list."""

    channel: str
    options: dict[str, Any]
    subscriptions: list[WantedSubscription]

    def params(self) -> dict[str, Any]:
        """The request's `params` (without the token a private channel adds)."""
        params: dict[str, Any] = {"channel": self.channel, **self.options}
        symbols = [s.symbol for s in self.subscriptions if s.symbol is not None]
        if symbols:
            params["symbol"] = symbols
        return params


def batches(subscriptions: Iterable[WantedSubscription]) -> list[SubscribeBatch]:
    """Group subscriptions into requests, keeping their order; Kraken acks each symbol separately."""
    grouped: dict[tuple[str, str], SubscribeBatch] = {}
    for subscription in subscriptions:
        key = (subscription.channel, repr(sorted(subscription.options.items())))
        batch = grouped.get(key)
        if batch is None:
            grouped[key] = SubscribeBatch(subscription.channel, subscription.options, [subscription])
        else:
            batch.subscriptions.append(subscription)
    return list(grouped.values())

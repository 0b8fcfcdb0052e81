"""Journal replay: rebuild order and fill state from the raw journal alone, and compare it with the live store.

The journal holds every inbound message as received. Replaying it through a fresh decoder (per source: the
exchange's own message pipeline) and `OrderTracker` into an empty scratch store must reproduce what the live
session stored; a difference means something reached the live store that the journal does not explain (a
REST backfill, a manual edit, a bug) or that the journal lost something. The service knows no exchange:
the composition root gives it one decoder factory per journal `source`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from attrs import field, frozen

from galfriday.domain.events import BalanceReported, ExchangeEvent, ExecutionReported, OrderReported
from galfriday.domain.journal import JournalEntry
from galfriday.domain.state_comparison import (
    ComparisonScope,
    StateDifference,
    TradingState,
    compare_states,
    unacknowledged_orders,
)
from galfriday.domain.timestamps import EPOCH, utc
from galfriday.errors import DomainError, DuplicateKeyError, InvalidValueError
from galfriday.ports.bus import EventBus
from galfriday.ports.stores import Store
from galfriday.services.order_tracking import OrderTracker

__all__ = [
    "DecoderFactory",
    "FrameDecoder",
    "JournalReplay",
    "ReplayResult",
    "trading_state",
]

_TRACKED = (OrderReported, ExecutionReported, BalanceReported)
NO_DECODER = "no decoder"
NOT_SELECTED = "not selected"
BEFORE_SINCE = "before --since"


class FrameDecoder(Protocol):
    """Turns one journal entry into the exchange events it carried, as the live stream did (same order, same
    de-duplication); keeps whatever state that needs across entries. `rejected` counts unreadable frames."""

    @property
    def rejected(self) -> int: ...

    def decode(self, entry: JournalEntry) -> Sequence[ExchangeEvent]: ...


DecoderFactory = Callable[[], FrameDecoder]
"""Builds a fresh decoder for one replay."""


def _differences(items: Iterable[StateDifference]) -> tuple[StateDifference, ...]:
    return tuple(items)


@frozen
class ReplayResult:
    """What a replay read, what it applied, and how the rebuilt state compares with the live one."""

    entries_read: int
    entries_replayed: int
    skipped: Mapping[str, int]
    """Entries not replayed, by why: `no decoder` (a source nothing can read), `not selected`, `before --since`."""
    frames_rejected: int
    events_applied: int
    events_refused: int
    unacknowledged_orders: int
    """Live orders without an exchange id: never acknowledged, so not in any journal, not compared."""
    scope: ComparisonScope
    live: TradingState
    replayed: TradingState
    differences: tuple[StateDifference, ...] = field(converter=_differences)

    @property
    def identical(self) -> bool:
        return not self.differences


async def trading_state(store: Store) -> TradingState:
    """Every order, execution, position and balance the store holds."""
    async with store.unit_of_work() as uow:
        return TradingState(
            orders=await uow.orders.list_updated_since(EPOCH),
            executions=await uow.executions.since(EPOCH),
            positions=await uow.positions.all(),
            balances=await uow.balances.all(),
        )


class JournalReplay:
    """Replays `store`'s journal into a scratch store and compares the result with `store` itself."""

    def __init__(
        self, store: Store, decoders: Mapping[str, DecoderFactory], *, page_size: int = 1000
    ) -> None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidValueError("page_size", page_size, "a positive whole number of entries")
        self._store = store
        self._decoders = dict(decoders)
        self._page_size = page_size

    async def run(
        self,
        scratch: Store,
        bus: EventBus,
        *,
        since: datetime | None = None,
        sources: Collection[str] | None = None,
    ) -> ReplayResult:
        """Replay entries received at or after `since` (all if None) from `sources` (all if None) into
        `scratch` (expected empty) through an `OrderTracker` publishing on `bus`; then compare."""
        if since is not None:
            since = utc("since", since)
        if sources is not None:
            unknown = sorted(set(sources) - self._decoders.keys())
            if unknown:
                raise InvalidValueError(
                    "sources", unknown, f"journal sources with a decoder: {sorted(self._decoders)}"
                )
        tracker = OrderTracker(scratch, bus)
        decoders: dict[str, FrameDecoder] = {}
        skipped: Counter[str] = Counter()
        read = replayed = applied = refused = 0
        after = 0
        while True:
            async with self._store.unit_of_work() as uow:
                page = await uow.journal.read(after_sequence=after, limit=self._page_size)
            if not page:
                break
            after = page[-1].sequence or after
            for entry in page:
                read += 1
                if since is not None and entry.received_at < since:
                    skipped[BEFORE_SINCE] += 1
                    continue
                if sources is not None and entry.source not in sources:
                    skipped[NOT_SELECTED] += 1
                    continue
                decoder = decoders.get(entry.source)
                if decoder is None:
                    factory = self._decoders.get(entry.source)
                    if factory is None:
                        skipped[NO_DECODER] += 1
                        continue
                    decoder = decoders[entry.source] = factory()
                replayed += 1
                for event in decoder.decode(entry):
                    if not isinstance(event, _TRACKED):
                        continue
                    if await _apply(tracker, event):
                        applied += 1
                    else:
                        refused += 1
        live = await trading_state(self._store)
        rebuilt = await trading_state(scratch)
        scope = ComparisonScope(executions_since=since)
        return ReplayResult(
            entries_read=read,
            entries_replayed=replayed,
            skipped=dict(skipped),
            frames_rejected=sum(decoder.rejected for decoder in decoders.values()),
            events_applied=applied,
            events_refused=refused,
            unacknowledged_orders=len(unacknowledged_orders(live)),
            scope=scope,
            live=live,
            replayed=rebuilt,
            differences=compare_states(live, rebuilt, scope),
        )


async def _apply(tracker: OrderTracker, event: ExchangeEvent) -> bool:
    """Apply one event as the live consumer does; False if the domain or the store refused it."""
    try:
        await tracker.handle(event)
    except (DomainError, DuplicateKeyError):
        return False
    return True

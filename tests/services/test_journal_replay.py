"""Specification of `JournalReplay`: the journal alone rebuilds the live store's order and fill state, and
whatever it cannot explain is reported.

The decoder here reads a tiny journal format of its own (each payload names a prepared event), so these tests
are about the replay, not about any exchange's messages (the Kraken decoder is tested on the simulator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import attrs
import pytest

from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.events import BalanceReported, ExchangeEvent, ExecutionReported, OrderReported
from galfriday.domain.journal import JournalEntry
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.state_comparison import MISSING, StateKind
from galfriday.errors import InvalidValueError
from galfriday.services.journal_replay import JournalReplay, ReplayResult
from galfriday.services.order_tracking import OrderTracker
from galfriday.testing import samples

ORDER = attrs.evolve(samples.order("ours-1"), exchange_order_id="OX-1", status=OrderStatus.NEW)
FILL_1 = samples.execution("E1", order_id="OX-1", timestamp=samples.instant(2))
FILL_2 = samples.execution("E2", order_id="OX-1", timestamp=samples.instant(3))
EVENTS: Mapping[str, ExchangeEvent] = {
    "order": OrderReported(ORDER, samples.instant(1)),
    "fill-1": ExecutionReported(FILL_1),
    "fill-2": ExecutionReported(FILL_2),
    "balance": BalanceReported(samples.balance("USD", updated_at=samples.instant(4))),
    "overfill": ExecutionReported(
        samples.execution("E3", order_id="OX-1", quantity=Decimal("5"), timestamp=samples.instant(5))
    ),
}


class CodebookDecoder:
    """Each payload is the name of one prepared event; `?` is unreadable."""

    def __init__(self) -> None:
        self.rejected = 0

    def decode(self, entry: JournalEntry) -> Sequence[ExchangeEvent]:
        if entry.payload == "?":
            self.rejected += 1
            return []
        return [EVENTS[entry.payload]]


DECODERS = {"test": CodebookDecoder}


async def live_session(store: MemoryStore, payloads: Sequence[str], *, source: str = "test") -> None:
    """What a live session does: apply each event through the tracker and journal the message it came in."""
    tracker = OrderTracker(store, MemoryEventBus(maxsize=1000))
    await tracker.record_placed(samples.order("ours-1"))
    for n, payload in enumerate(payloads):
        if payload in EVENTS:
            await tracker.handle(EVENTS[payload])
        async with store.unit_of_work() as uow:
            entry = JournalEntry(source, "test", samples.instant(2 * n), payload)  # after the event
            await uow.journal.append(entry)
            await uow.commit()


async def replay(store: MemoryStore, **options: object) -> ReplayResult:
    return await JournalReplay(store, DECODERS, page_size=2).run(
        MemoryStore(),
        MemoryEventBus(maxsize=1000),
        **options,  # type: ignore[arg-type]
    )


async def test_replaying_the_journal_of_a_session_rebuilds_identical_state() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1", "fill-2", "balance"])
    result = await replay(store)
    assert result.identical, [d.describe() for d in result.differences]
    assert (result.entries_read, result.entries_replayed, result.events_applied) == (4, 4, 4)
    assert len(result.replayed.executions) == 2
    assert result.replayed.orders[0].filled_quantity == Decimal("0.2")


async def test_a_duplicated_message_in_the_journal_is_applied_once() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1", "fill-1", "fill-2"])
    result = await replay(store)
    assert result.identical
    assert result.replayed.orders[0].filled_quantity == Decimal("0.2")


async def test_a_fill_in_the_store_that_the_journal_does_not_hold_is_reported_missing() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1"])
    await OrderTracker(store, MemoryEventBus(maxsize=100)).handle(EVENTS["fill-2"])  # e.g. a REST backfill
    result = await replay(store)
    assert not result.identical
    assert (StateKind.EXECUTION, "E2", MISSING) in {(d.kind, d.key, d.field) for d in result.differences}
    assert {d.field for d in result.differences if d.kind is StateKind.ORDER} == {
        "filled_quantity",
        "filled_cost",
    }


async def test_entries_of_a_source_without_a_decoder_are_skipped_and_counted() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1"])
    async with store.unit_of_work() as uow:
        await uow.journal.append(JournalEntry("elsewhere", "x", samples.instant(9), "fill-2"))
        await uow.commit()
    result = await replay(store)
    assert result.skipped == {"no decoder": 1}
    assert result.identical


async def test_only_the_selected_sources_are_replayed() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1"])
    result = await replay(store, sources=["test"])
    assert result.entries_replayed == 2


async def test_asking_for_a_source_nothing_can_read_is_refused_naming_it() -> None:
    store = MemoryStore()
    with pytest.raises(InvalidValueError, match="nowhere"):
        await replay(store, sources=["nowhere"])


async def test_since_skips_earlier_entries_and_compares_only_what_the_window_can_reproduce() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1", "fill-2", "balance"])
    result = await replay(store, since=samples.instant(3))
    assert result.skipped == {"before --since": 2}
    assert result.scope.executions_since == samples.instant(3)
    assert [e.exec_id for e in result.replayed.executions] == ["E2"]
    assert result.identical, [d.describe() for d in result.differences]


async def test_an_event_the_domain_refuses_is_counted_and_the_replay_goes_on() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1"])
    async with store.unit_of_work() as uow:
        await uow.journal.append(JournalEntry("test", "x", samples.instant(8), "overfill"))
        await uow.journal.append(JournalEntry("test", "x", samples.instant(9), "?"))
        await uow.commit()
    result = await replay(store)
    assert (result.events_refused, result.frames_rejected) == (1, 1)
    assert result.identical


async def test_each_replay_reads_with_a_fresh_decoder() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "?"])
    first, second = await replay(store), await replay(store)
    assert first.frames_rejected == second.frames_rejected == 1


async def test_a_live_order_never_acknowledged_is_counted_not_compared() -> None:
    store = MemoryStore()
    await live_session(store, ["order", "fill-1"])
    await OrderTracker(store, MemoryEventBus(maxsize=100)).record_placed(samples.order("lost-in-flight"))
    result = await replay(store)
    assert result.unacknowledged_orders == 1
    assert result.identical

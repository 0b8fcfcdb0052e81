"""Kraken's journal decoder for `galfriday replay`: the raw WebSocket v2 frames `KrakenStream` journaled, fed
in journal order through a fresh `KrakenPipeline`, exactly as the live stream fed them.

One pipeline for every entry, as the stream has one for both connections: subscribe acks (journaled too)
restart a channel's sequence, snapshots and exec-id de-duplication behave as they did live, so a duplicated
or reordered frame is dropped on replay for the same reason it was dropped live.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from galfriday.adapters.kraken.pipeline import KrakenPipeline
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.instruments import TradingPair
from galfriday.domain.journal import JournalEntry

__all__ = ["SOURCE", "KrakenFrameDecoder"]

SOURCE = "kraken"
"""The `source` `KrakenStream` journals its frames under."""

_EVENT_TYPES: frozenset[type] = frozenset(get_args(ExchangeEvent))


class KrakenFrameDecoder:
    """Journal entries of source `kraken` → the exchange events the live pipeline produced from them."""

    def __init__(self, pairs: Iterable[TradingPair] = ()) -> None:
        self.pipeline = KrakenPipeline(pairs=pairs)

    def __repr__(self) -> str:
        return f"KrakenFrameDecoder(messages={self.pipeline.counters.messages})"

    @property
    def rejected(self) -> int:
        """Frames (or entries of frames) the pipeline could not read or translate."""
        counters = self.pipeline.counters
        return counters.parse_errors + counters.translation_errors

    def decode(self, entry: JournalEntry) -> list[ExchangeEvent]:
        outputs = self.pipeline.feed(entry.payload, entry.received_at)
        return [output for output in outputs if type(output) in _EVENT_TYPES]  # type: ignore[misc]

"""The raw message journal: every inbound message, as received, for audit and replay."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from galfriday.domain.timestamps import to_utc


@frozen
class JournalEntry:
    """One raw inbound message. `sequence` is assigned by the store on append (monotonic per store)."""

    source: str
    channel: str
    received_at: datetime = field(converter=to_utc)
    payload: str
    sequence: int | None = None

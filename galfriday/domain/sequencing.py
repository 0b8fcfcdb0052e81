"""Per-channel sequence tracking: is a message in order, a duplicate, after a gap, or a late arrival?

A channel's first message (or one marked `restart`, such as a fresh snapshot) sets the baseline; after that
each message is expected to carry the previous sequence plus one. A jump ahead is a gap and the skipped
numbers are remembered as missing; one of them arriving later is out of order; anything else at or below
the last sequence is a duplicate. Resubscribing resets the channel. No I/O, no clock.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from galfriday.errors import InvalidValueError


class SequenceVerdict(StrEnum):
    IN_ORDER = "in_order"
    DUPLICATE = "duplicate"
    GAP = "gap"
    OUT_OF_ORDER = "out_of_order"


class SequenceCheck(NamedTuple):
    """The verdict on one message; `missing` is the range a gap just opened (empty otherwise)."""

    channel: str
    sequence: int
    verdict: SequenceVerdict
    missing: range = range(0)


class _Channel:
    __slots__ = ("gaps", "last")

    def __init__(self, last: int) -> None:
        self.last = last
        self.gaps: list[range] = []


class SequenceTracker:
    """Tracks the sequence of every channel. Remembers at most `max_gaps` open gaps per channel."""

    __slots__ = ("_channels", "_max_gaps")

    def __init__(self, max_gaps: int = 1024) -> None:
        if not isinstance(max_gaps, int) or isinstance(max_gaps, bool) or max_gaps <= 0:
            raise InvalidValueError("max_gaps", max_gaps, "a positive number of gaps to remember")
        self._max_gaps = max_gaps
        self._channels: dict[str, _Channel] = {}

    def observe(self, channel: str, sequence: int, *, restart: bool = False) -> SequenceCheck:
        """Classify `sequence` on `channel` and record it. `restart` makes it the new baseline."""
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
            raise InvalidValueError("sequence", sequence, "a whole number, zero or more")
        state = self._channels.get(channel)
        if state is None or restart:
            self._channels[channel] = _Channel(sequence)
            return SequenceCheck(channel, sequence, SequenceVerdict.IN_ORDER)
        expected = state.last + 1
        if sequence == expected:
            state.last = sequence
            return SequenceCheck(channel, sequence, SequenceVerdict.IN_ORDER)
        if sequence > expected:
            missing = range(expected, sequence)
            state.gaps.append(missing)
            if len(state.gaps) > self._max_gaps:
                del state.gaps[0]
            state.last = sequence
            return SequenceCheck(channel, sequence, SequenceVerdict.GAP, missing)
        if _fill(state.gaps, sequence):
            return SequenceCheck(channel, sequence, SequenceVerdict.OUT_OF_ORDER)
        return SequenceCheck(channel, sequence, SequenceVerdict.DUPLICATE)

    def reset(self, channel: str | None = None) -> None:
        """Forget `channel` (after a resubscribe), or every channel (after a reconnect)."""
        if channel is None:
            self._channels.clear()
        else:
            self._channels.pop(channel, None)

    def last(self, channel: str) -> int | None:
        """The highest sequence seen on `channel` since its baseline, or None if it has none."""
        state = self._channels.get(channel)
        return None if state is None else state.last

    def missing(self, channel: str) -> tuple[range, ...]:
        """The sequences still missing on `channel`, as ranges, oldest first."""
        state = self._channels.get(channel)
        return () if state is None else tuple(state.gaps)


def _fill(gaps: list[range], sequence: int) -> bool:
    """Remove `sequence` from the open gaps; False if it was not missing."""
    for index, gap in enumerate(gaps):
        if sequence in gap:
            parts = [part for part in (range(gap.start, sequence), range(sequence + 1, gap.stop)) if part]
            gaps[index : index + 1] = parts
            return True
    return False

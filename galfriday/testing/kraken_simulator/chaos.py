"""Fault injection: what a real network and a real Kraken do to clients, on demand.

Every WebSocket frame the simulator sends passes `Chaos.outbound` after it got its sequence number, so a
duplicated frame repeats its sequence number, a dropped one leaves a gap and a reordered window arrives with
its sequence numbers out of order, exactly as a client would see them. Channel names are v2 channel names
(`executions`, `balances`, `book`, ...). Times here are wall-clock (monotonic) seconds.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from attrs import define, frozen

MALFORMED_FRAME = '{"channel": "executions", "type": "update", "data": [{"order_id": '


@frozen
class Outbound:
    """One frame to send: its channel (None for acks, pongs and status) and its JSON payload."""

    channel: str | None
    payload: dict[str, Any]


class Target(Protocol):
    """What chaos needs of a WebSocket connection."""

    private: bool
    silent_until: float

    def abort(self) -> None: ...

    def send_text(self, text: str) -> None: ...

    def deliver(self, frames: Iterable[Outbound]) -> None: ...


@frozen
class RestFault:
    error: str
    status: int


@define
class _Budget:
    channel: str
    remaining: int


@define
class _Reorder:
    channel: str
    window: int
    target: Target | None = None
    held: list[Outbound] | None = None


@define
class _RestBudget:
    fault: RestFault
    remaining: int
    method: str | None


def _matching(targets: Iterable[Target], endpoint: str) -> list[Target]:
    if endpoint not in ("all", "public", "private"):
        raise ValueError(f"endpoint {endpoint!r}; expected 'all', 'public' or 'private'")
    return [t for t in targets if endpoint == "all" or t.private == (endpoint == "private")]


class Chaos:
    """The fault hooks of one simulator. Each hook arms a fault; `reset()` disarms them all."""

    def __init__(
        self, connections: Callable[[], list[Target]], *, reorder_flush_seconds: float = 0.5
    ) -> None:
        self._connections = connections
        self._flush_seconds = reorder_flush_seconds
        self.reset()

    def reset(self) -> None:
        """Disarm every fault (silences already under way end too)."""
        self._duplicates: list[_Budget] = []
        self._drops: list[_Budget] = []
        self._reorder: _Reorder | None = None
        self._corrupt_checksums = 0
        self._garbles: list[_Budget] = []
        self._refuse_until = 0.0
        self._rest: list[_RestBudget] = []
        for target in self._connections():
            target.silent_until = 0.0

    # --- connection faults ----------------------------------------------------------------------------

    def drop_connections(self, endpoint: str = "all") -> int:
        """Abort every connection's TCP stream without a close frame (clients see 1006); how many."""
        targets = _matching(self._connections(), endpoint)
        for target in targets:
            target.abort()
        return len(targets)

    def go_silent(self, seconds: float, endpoint: str = "all") -> int:
        """Open connections stop sending anything (heartbeats, pongs, acks, data) for `seconds`.

        Frames due meanwhile are lost, as on a zombie connection; connections opened later are unaffected.
        """
        until = time.monotonic() + seconds
        targets = _matching(self._connections(), endpoint)
        for target in targets:
            target.silent_until = until
        return len(targets)

    def refuse_connections(self, seconds: float) -> None:
        """WebSocket handshakes fail with HTTP 503 for `seconds`."""
        self._refuse_until = time.monotonic() + seconds

    def inject_malformed(self, text: str = MALFORMED_FRAME, endpoint: str = "all") -> int:
        """Send `text` (not valid JSON by default) as a frame on every open connection; how many."""
        targets = _matching(self._connections(), endpoint)
        for target in targets:
            target.send_text(text)
        return len(targets)

    # --- frame faults ---------------------------------------------------------------------------------

    def duplicate_next(self, count: int, channel: str = "executions") -> None:
        """Send each of the next `count` frames of `channel` twice."""
        self._duplicates.append(_Budget(channel, count))

    def drop_next(self, count: int, channel: str = "executions") -> None:
        """Silently lose the next `count` frames of `channel` (a sequence gap for the client)."""
        self._drops.append(_Budget(channel, count))

    def reorder_next(self, window: int, channel: str = "executions") -> None:
        """Hold the next `window` frames of `channel` (on the first connection that sends one) and deliver
        them in reverse order; a window not filled within the flush delay is delivered reversed as it is."""
        if window < 2:
            raise ValueError(f"reorder window {window}; expected 2 or more frames")
        self._reorder = _Reorder(channel, window)

    def garble_next(self, count: int, channel: str = "executions") -> None:
        """The next `count` frames of `channel` keep their envelope and sequence number but carry an
        unreadable `data` (a string where a list of reports belongs): what they reported is lost to the client."""
        self._garbles.append(_Budget(channel, count))

    def corrupt_next_checksum(self, count: int = 1) -> None:
        """The next `count` `book` frames carry a wrong checksum (the book itself is right)."""
        self._corrupt_checksums += count

    # --- REST faults ----------------------------------------------------------------------------------

    def fail_rest(
        self,
        error: str = "EService:Unavailable",
        count: int = 1,
        *,
        method: str | None = None,
        status: int = 200,
    ) -> None:
        """The next `count` REST calls (of `method`, or any) answer `{"error": [error]}` with `status`."""
        self._rest.append(_RestBudget(RestFault(error, status), count, method))

    def rate_limit_rest(self, count: int = 1, *, method: str | None = None) -> None:
        """The next `count` REST calls answer `EAPI:Rate limit exceeded`."""
        self.fail_rest("EAPI:Rate limit exceeded", count, method=method)

    # --- used by the server ---------------------------------------------------------------------------

    def accepting(self) -> bool:
        return time.monotonic() >= self._refuse_until

    def rest_fault(self, method: str) -> RestFault | None:
        for budget in self._rest:
            if budget.remaining > 0 and budget.method in (None, method):
                budget.remaining -= 1
                return budget.fault
        return None

    def outbound(self, target: Target, frame: Outbound) -> list[Outbound]:
        """What actually goes out for one frame: dropped, corrupted, duplicated or held for reordering."""
        channel = frame.channel
        if channel is None:
            return [frame]
        if _spend(self._drops, channel):
            return []
        if _spend(self._garbles, channel):
            frame = Outbound(channel, {**frame.payload, "data": "garbled"})
        if channel == "book" and self._corrupt_checksums > 0:
            self._corrupt_checksums -= 1
            frame = _corrupt(frame)
        frames = [frame, frame] if _spend(self._duplicates, channel) else [frame]
        return self._hold(target, frames)

    def _hold(self, target: Target, frames: list[Outbound]) -> list[Outbound]:
        reorder = self._reorder
        if reorder is None or frames[0].channel != reorder.channel or reorder.target not in (None, target):
            return frames
        if reorder.held is None:
            reorder.target, reorder.held = target, []
            asyncio.get_running_loop().call_later(self._flush_seconds, self._flush, reorder)
        reorder.held.extend(frames)
        if len(reorder.held) < reorder.window:
            return []
        return self._release(reorder)

    def _release(self, reorder: _Reorder) -> list[Outbound]:
        held, reorder.held = reorder.held or [], []
        if self._reorder is reorder:
            self._reorder = None
        return held[::-1]

    def _flush(self, reorder: _Reorder) -> None:
        if reorder.held and reorder.target is not None:
            reorder.target.deliver(self._release(reorder))


def _spend(budgets: list[_Budget], channel: str) -> bool:
    for budget in budgets:
        if budget.remaining > 0 and budget.channel == channel:
            budget.remaining -= 1
            return True
    return False


def _corrupt(frame: Outbound) -> Outbound:
    payload = copy.deepcopy(frame.payload)
    for entry in payload.get("data", []):
        entry["checksum"] = (int(entry["checksum"]) + 1) % 2**32
    return Outbound(frame.channel, payload)

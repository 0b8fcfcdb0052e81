"""The order gate: whether new orders may be placed right now.

Several sources can hold it closed at once, each with its reason: the stream (disconnected, or caught up
only once its REST backfill has finished), reconciliation (a drift too large to trade through), an operator.
It opens only when every source has let go. Order placement consults `is_open`, or calls `require_open()`
to get an `OrderGateClosedError` naming every reason.
"""

from __future__ import annotations

import asyncio
import logging

from galfriday.errors import OrderGateClosedError

__all__ = ["OrderGate"]

log = logging.getLogger(__name__)


class OrderGate:
    """Open unless some source holds it closed; each source closes and opens its own hold."""

    def __init__(self) -> None:
        self._holds: dict[str, str] = {}
        self._opened = asyncio.Event()
        self._opened.set()

    @property
    def is_open(self) -> bool:
        return not self._holds

    def reasons(self) -> dict[str, str]:
        """Who holds the gate closed, and why."""
        return dict(self._holds)

    def close(self, source: str, reason: str) -> None:
        """Hold the gate closed on behalf of `source` (replacing that source's earlier reason)."""
        if self._holds.get(source) != reason:
            log.warning("order gate closed by %s: %s", source, reason)
        self._holds[source] = reason
        self._opened.clear()

    def open(self, source: str) -> None:
        """Release `source`'s hold; the gate opens once no source holds it."""
        if self._holds.pop(source, None) is not None:
            log.info("order gate released by %s%s", source, "" if self._holds else "; open")
            if not self._holds:
                self._opened.set()

    def require_open(self) -> None:
        """Return if orders may be placed; `OrderGateClosedError` naming every hold otherwise."""
        if self._holds:
            raise OrderGateClosedError(self._holds)

    async def wait_open(self) -> None:
        """Wait until the gate is open (at once if it is)."""
        await self._opened.wait()

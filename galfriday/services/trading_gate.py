"""The trading gate: why new orders are halted right now, if they are.

Any component may halt trading under a key of its own (`reconciliation`, `reconciliation:startup`,
`stream`) with a detail for humans, and lift its own key later; trading is open when no key is held. Order
placement asks `check()` before sending (see `GatedOrders`); a loop that must not trade before start-up work is
done awaits `wait_open()`. Halting never cancels anything already on the book: it only stops new orders.
"""

from __future__ import annotations

import asyncio
import logging

from galfriday.domain.orders import Order
from galfriday.errors import InvalidValueError, TradingHaltedError
from galfriday.ports.exchange import ExchangeAccount

log = logging.getLogger(__name__)


class TradingGate:
    """Halt reasons by key; open when there are none."""

    def __init__(self) -> None:
        self._reasons: dict[str, str] = {}
        self._open = asyncio.Event()
        self._open.set()

    @property
    def is_open(self) -> bool:
        return not self._reasons

    @property
    def reasons(self) -> dict[str, str]:
        """A copy of the reasons held now, by key."""
        return dict(self._reasons)

    def halt(self, key: str, detail: str) -> None:
        """Hold trading under `key` (replacing that key's detail if already held)."""
        if not key:
            raise InvalidValueError("key", key, "a non-empty name for the halt reason, such as 'stream'")
        if key not in self._reasons:
            log.warning("trading halted: %s: %s", key, detail)
        self._reasons[key] = detail
        self._open.clear()

    def resume(self, key: str) -> None:
        """Lift `key`; trading opens once no key is held. Lifting a key not held does nothing."""
        if self._reasons.pop(key, None) is not None:
            log.info("halt lifted: %s", key)
        if not self._reasons:
            self._open.set()

    def check(self) -> None:
        """Raise `TradingHaltedError` (with every reason) unless trading is open."""
        if self._reasons:
            raise TradingHaltedError(self._reasons)

    async def wait_open(self) -> None:
        """Return once no halt reason is held."""
        while self._reasons:
            await self._open.wait()


class GatedOrders:
    """Order placement that consults the gate first: a halted gate refuses the order before it is sent."""

    def __init__(self, account: ExchangeAccount, gate: TradingGate) -> None:
        self._account = account
        self._gate = gate

    async def place_order(self, order: Order) -> Order:
        self._gate.check()
        return await self._account.place_order(order)

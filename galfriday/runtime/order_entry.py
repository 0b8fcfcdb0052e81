"""Placing an order from inside `galfriday run` (a strategy component, an operator hook): one path that honours
everything the runtime knows. The order is refused while the trading gate is halted (stream recovery: the
stream is down or catching up; reconciliation: discrepancies await review); otherwise the dead-man's switch
is asked to arm, the order is recorded before it is sent (so any report about it finds it), and it is sent.
"""

from __future__ import annotations

from galfriday.domain.orders import Order
from galfriday.ports.exchange import ExchangeAccount
from galfriday.services.deadman import DeadMansSwitch
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.trading_gate import TradingGate


class OrderEntry:
    """`place(order)`: `TradingHaltedError` (naming every reason) when refused."""

    def __init__(
        self,
        account: ExchangeAccount,
        tracker: OrderTracker,
        *,
        gate: TradingGate,
        deadman: DeadMansSwitch,
    ) -> None:
        self._account = account
        self._tracker = tracker
        self._gate = gate
        self._deadman = deadman

    async def place(self, order: Order) -> Order:
        """Check the gate, record the order, arm the switch, send it; the exchange's acknowledgement."""
        self._gate.check()
        await self._tracker.record_placed(order)
        self._deadman.poke()  # re-checks now: the recorded order is live, so the switch is armed
        return await self._account.place_order(order)

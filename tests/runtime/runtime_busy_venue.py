"""A galfriday plugin used by the `galfriday run` process tests: exchange `busy`, a FakeExchange on which other
traders fill every order we place, one order every `interval_seconds`, from start until close. On close it
writes the exec ids of every fill it made, oldest first, to `truth_file` (the venue's truth for the test).

It is installed for the subprocess the way any third-party plugin is: a distribution whose entry point in the
`galfriday` group names this module (the test writes its `.dist-info` onto PYTHONPATH).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from galfriday import hookimpl
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.domain.executions import OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.orders import Order, OrderType
from galfriday.hookspecs import AdapterContext, RegisterAdapter
from galfriday.ports.clock import Clock

SYMBOL = "BTC/USD"
PRICE = Decimal("50000")
QUANTITY = Decimal("0.001")


class BusyVenue(FakeExchange):
    def __init__(self, clock: Clock, interval_seconds: float, truth_file: Path | None) -> None:
        super().__init__(
            clock=clock,
            pairs=[
                TradingPair(SYMBOL, price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001"))
            ],
            balances={"USD": Decimal("1000000000"), "BTC": Decimal("0")},
        )
        self._clock_for_orders = clock
        self._interval = interval_seconds
        self._truth_file = truth_file
        self._activity: asyncio.Task[None] | None = None
        self.placed = 0

    async def start(self) -> None:
        await super().start()
        self._activity = asyncio.create_task(self._trade())

    async def close(self) -> None:
        if self._activity is not None:
            self._activity.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._activity
        if self._truth_file is not None:
            fills = await self.trades_since(datetime(2000, 1, 1, tzinfo=UTC))
            self._truth_file.write_text(json.dumps([fill.exec_id for fill in fills]))
        await super().close()

    async def _trade(self) -> None:
        while True:
            await self.add_liquidity(SYMBOL, OrderSide.SELL, PRICE, QUANTITY)
            self.placed += 1
            order = Order.create(
                client_order_id=f"busy-{self.placed}",
                symbol=SYMBOL,
                side=OrderSide.BUY,
                order_type=OrderType.LIMIT,
                quantity=QUANTITY,
                limit_price=PRICE,
                at=self._clock_for_orders.now(),
            )
            await self.place_order(order)
            await asyncio.sleep(self._interval)


@hookimpl
def galfriday_register_exchanges(register: RegisterAdapter) -> None:
    def make(ctx: AdapterContext) -> BusyVenue:
        truth = ctx.settings.get("truth_file")
        return BusyVenue(
            ctx.clock, float(ctx.settings.get("interval_seconds", 0.001)), Path(truth) if truth else None
        )

    register("busy", make)

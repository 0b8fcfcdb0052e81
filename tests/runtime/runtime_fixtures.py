"""Shared set-up for runtime tests: a configuration on the memory adapters, and a running Runtime over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.app import App
from galfriday.config import Config, RetentionConfig, RuntimeConfig, StoreConfig
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.runtime.process import Runtime
from galfriday.services.order_tracking import OrderTracker

SYMBOL = "BTC/USD"


def memory_config(**runtime: Any) -> Config:
    """Memory store, exchange and archive; HTTP on a free loopback port."""
    return Config().with_overrides(
        store=StoreConfig(adapter="memory"),
        retention=RetentionConfig(archive="memory"),
        runtime=RuntimeConfig(**{"http_host": "127.0.0.1", "http_port": 0, **runtime}),
    )


@asynccontextmanager
async def running_runtime(
    config: Config | None = None, *, overrides: dict[str, Any] | None = None, **kwargs: Any
) -> AsyncIterator[Runtime]:
    """A started Runtime over a started App (adapters in `overrides` replace configured ones); stopped (if the
    test did not) and closed on exit."""
    async with App.from_config(config or memory_config(), overrides=overrides) as app:
        runtime = Runtime(app, **kwargs)
        await runtime.start()
        try:
            yield runtime
        finally:
            if not runtime.stopping:
                await runtime.stop(5)


async def buy_and_get_filled(
    exchange: FakeExchange,
    client_order_id: str,
    at: datetime,
    quantity: str = "0.01",
    *,
    tracker: OrderTracker | None = None,
) -> None:
    """Another trader offers; we buy at that price and fill at once as taker.

    With `tracker` the order is recorded before it is sent, as our own order placement does; without, it is an
    order placed elsewhere that the stream reports.
    """
    price = Decimal("50000")
    await exchange.add_liquidity(SYMBOL, OrderSide.SELL, price, Decimal(quantity))
    order = Order.create(
        client_order_id=client_order_id,
        symbol=SYMBOL,
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal(quantity),
        limit_price=price,
        at=at,
    )
    if tracker is not None:
        await tracker.record_placed(order)
    await exchange.place_order(order)

"""The runtime on a real Postgres store: fills from the exchange reach Postgres, /health probes it, and /metrics
carries its per-statement query latency."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from galfriday.app import App
from galfriday.config import Config, RetentionConfig, RuntimeConfig, Secret, StoreConfig
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.runtime.process import Runtime

SYMBOL = "BTC/USD"


def postgres_config(dsn: str) -> Config:
    return Config().with_overrides(
        store=StoreConfig(adapter="postgres", dsn=Secret(dsn), pool_min_size=1, pool_max_size=4),
        retention=RetentionConfig(archive="memory"),
        runtime=RuntimeConfig(http_host="127.0.0.1", http_port=0),
    )


async def test_fills_reach_postgres_and_health_and_metrics_describe_it(migrated_dsn: str) -> None:
    async with App.from_config(postgres_config(migrated_dsn)) as app:
        runtime = Runtime(app)
        await runtime.start()
        try:
            exchange = app.exchange
            for n in range(3):
                await exchange.add_liquidity(SYMBOL, OrderSide.SELL, Decimal("50000"), Decimal("0.1"))
                order = Order.create(
                    client_order_id=f"pg-{n}",
                    symbol=SYMBOL,
                    side=OrderSide.BUY,
                    order_type=OrderType.LIMIT,
                    quantity=Decimal("0.1"),
                    limit_price=Decimal("50000"),
                    at=app.clock.now(),
                )
                await runtime.tracker.record_placed(order)
                await exchange.place_order(order)
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                async with app.store.unit_of_work() as uow:
                    position = await uow.positions.get(SYMBOL)
                if position is not None and position.quantity == Decimal("0.3"):
                    break
                assert asyncio.get_running_loop().time() < deadline, f"position is {position}"
                await asyncio.sleep(0.05)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{runtime.http.url}/health") as response:
                    health = await response.json()
                async with http.get(f"{runtime.http.url}/metrics") as response:
                    metrics = await response.text()
            report = await runtime.stop(10)
        finally:
            if not runtime.stopping:
                await runtime.stop(10)
    assert health["store"] == {"reachable": True, "error": None}
    assert report.clean
    families = {f.name: f for f in text_string_to_metric_families(metrics)}
    counts = {
        s.labels["statement"]: s.value
        for s in families["galfriday_query_duration_seconds"].samples
        if s.name.endswith("_count")
    }
    assert counts.get("executions.add", 0) >= 3
    assert counts.get("orders.save", 0) >= 3

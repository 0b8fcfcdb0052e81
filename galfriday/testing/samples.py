"""Sample domain objects for tests: valid by default, every field overridable by keyword.

Each builder returns a fresh value with realistic, non-trivial content (fractional prices, fees, aware UTC
times), so a suite that round-trips them exercises more than zeros and defaults. Times are offsets from `T0`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.domain.journal import JournalEntry
from galfriday.domain.market_data import Candle
from galfriday.domain.models import FeatureSpec
from galfriday.domain.orders import Order
from galfriday.domain.positions import Position
from galfriday.domain.retention import RetentionRun

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
"""The reference instant every sample is placed relative to."""

SHA256 = "3b" * 32
"""A well-formed artifact digest."""


def instant(seconds: float = 0) -> datetime:
    """`T0` plus `seconds`: a readable way to order samples in time."""
    return T0 + timedelta(seconds=seconds)


def order(client_order_id: str = "order-1", *, at: datetime = T0, **changes: Any) -> Order:
    """A new limit buy of 0.5 BTC/USD at 30000.5, created (and last updated) `at`."""
    new = Order.create(
        client_order_id=client_order_id,
        symbol="BTC/USD",
        side="buy",
        order_type="limit",
        quantity=Decimal("0.5"),
        at=at,
        limit_price=Decimal("30000.5"),
    )
    return attrs.evolve(new, **changes) if changes else new


def execution(exec_id: str = "exec-1", **changes: Any) -> Execution:
    """A maker fill of 0.1 BTC/USD at 30000.5 on exchange order `OX-1`, with a fee in USD."""
    fill = Execution(
        exec_id=exec_id,
        order_id="OX-1",
        symbol="BTC/USD",
        side="buy",
        quantity=Decimal("0.1"),
        price=Decimal("30000.5"),
        timestamp=T0,
        fee=Decimal("0.78"),
        fee_currency="USD",
        liquidity="maker",
        trade_id=f"trade-{exec_id}",
    )
    return attrs.evolve(fill, **changes) if changes else fill


def filled_order(
    client_order_id: str = "order-2",
    *,
    exchange_order_id: str = "OX-2",
    exec_ids: Iterable[str] = ("fill-a",),
) -> Order:
    """An acknowledged order of 1 BTC with one 0.25 fill per exec id: fees, exec ids and fills all set."""
    current = order(client_order_id, quantity=Decimal("1"))
    current = current.apply_status("new", instant(1), exchange_order_id=exchange_order_id).order
    for offset, exec_id in enumerate(exec_ids, start=2):
        fill = execution(
            exec_id, order_id=exchange_order_id, quantity=Decimal("0.25"), timestamp=instant(offset)
        )
        current = current.apply_execution(fill).order
    return current


def candle(open_time: datetime = T0, **changes: Any) -> Candle:
    """A one-minute BTC/USD bar opening at `open_time`."""
    bar = Candle(
        symbol="BTC/USD",
        interval_seconds=60,
        open_time=open_time,
        open=Decimal("30000.5"),
        high=Decimal("30100.25"),
        low=Decimal("29950.75"),
        close=Decimal("30050.125"),
        volume=Decimal("12.34567891"),
        trade_count=42,
    )
    return attrs.evolve(bar, **changes) if changes else bar


def balance(asset: str = "USD", **changes: Any) -> Balance:
    """1000.25 of `asset`, of which 750.5 is available."""
    held = Balance(asset=asset, total=Decimal("1000.25"), available=Decimal("750.5"), updated_at=T0)
    return attrs.evolve(held, **changes) if changes else held


def position(symbol: str = "BTC/USD", **changes: Any) -> Position:
    """A long of 0.25 at an average cost of 30000.5, with a realized loss."""
    held = Position(
        symbol=symbol,
        quantity=Decimal("0.25"),
        average_cost=Decimal("30000.5"),
        realized_pnl=Decimal("-12.34"),
        updated_at=T0,
    )
    return attrs.evolve(held, **changes) if changes else held


def journal_entry(payload: str = '{"channel": "executions", "data": []}', **changes: Any) -> JournalEntry:
    """A raw message from the Kraken executions channel, not yet sequenced."""
    entry = JournalEntry(source="kraken", channel="executions", received_at=T0, payload=payload)
    return attrs.evolve(entry, **changes) if changes else entry


def model_registration(name: str = "alpha", **changes: Any) -> dict[str, Any]:
    """Keyword arguments for `ModelStore.register`, with features and JSON-shaped metadata."""
    arguments: dict[str, Any] = {
        "name": name,
        "artifact_uri": f"memory://models/{name}.onnx",
        "artifact_sha256": SHA256,
        "created_at": T0,
        "features": (FeatureSpec("return_1m"), FeatureSpec("volume_5m", "float64")),
        "parent_version": None,
        "metadata": {"trainer": "sklearn", "rows": 1200, "tags": ["btc", "1m"], "params": {"depth": 3}},
    }
    arguments.update(changes)
    return arguments


def retention_run(run_id: str = "run-1", **changes: Any) -> RetentionRun:
    """A successful run of `candles[60s]` that archived and deleted 1440 rows, started at `T0`, 2.5 s long.

    Given only `started_at`, the run still lasts 2.5 s from then.
    """
    if "started_at" in changes and "finished_at" not in changes:
        changes["finished_at"] = changes["started_at"] + timedelta(seconds=2.5)
    run = RetentionRun(
        id=run_id,
        table_name="candles[60s]",
        cutoff=datetime(2025, 10, 7, tzinfo=UTC),
        archived_rows=1440,
        deleted_rows=1440,
        archive_path="/var/lib/galfriday/archive/candles/interval=60",
        status="success",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2.5),
    )
    return attrs.evolve(run, **changes) if changes else run

"""Chaos, end to end: 200 of our orders on the Kraken simulator, thousands of fills from other traders, and
the network doing its worst meanwhile (dropped connections, a zombie connection, duplicated, reordered and
lost frames, malformed frames, refused handshakes, failing REST calls). `KrakenExchange` + `StreamRecovery` +
`OrderTracker` on the memory store must end with exactly the simulator's truth: every fill once, each order's
filled quantity and status as Kraken has them, the position equal to the net of the fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from kraken_chaos_faults import FAULTS, inject
from kraken_sim_market import streaming_exchange
from kraken_sim_truth import SYMBOL, converge, place_limit

from galfriday.adapters.kraken.stream import StreamSettings
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.clock import SystemClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order
from galfriday.errors import ExchangeError
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.stream_recovery import StreamRecovery
from galfriday.testing.kraken_simulator import KrakenSimulator

ORDERS_PER_SIDE = 100
ORDER_QUANTITY = Decimal("0.0100")
TRADE_QUANTITY = Decimal("0.0005")
START_OF_TIME = datetime(2000, 1, 1, tzinfo=UTC)
SEED = 20261124


async def test_under_chaos_local_state_ends_identical_to_the_simulators_truth(sim: KrakenSimulator) -> None:
    rng = random.Random(SEED)
    store = MemoryStore()
    await store.start()
    settings = StreamSettings(silence_timeout=1.0, ping_interval=0.5)
    async with streaming_exchange(sim, settings) as kraken:
        tracker = OrderTracker(store, MemoryEventBus(maxsize=1_000_000))
        recovery = StreamRecovery(
            kraken, kraken, tracker, store, SystemClock(), poll_interval=0.5, retry_delay=0.1
        )
        await recovery.start()
        try:
            ours: list[Order] = []
            for i in range(ORDERS_PER_SIDE):
                for side, price in (
                    (OrderSide.BUY, Decimal(29000 + 10 * i)),
                    (OrderSide.SELL, Decimal(31000 - 10 * i)),
                ):
                    ours.append(
                        await place_limit(
                            kraken,
                            tracker,
                            client_order_id=f"chaos-{side.value}-{i}",
                            side=side,
                            price=price,
                            quantity=ORDER_QUANTITY,
                        )
                    )
            faults = list(FAULTS) * 4  # every kind, in a seeded random order
            rng.shuffle(faults)
            injected: Counter[str] = Counter()
            for step in range(3000):
                side = rng.choice([OrderSide.BUY, OrderSide.SELL])
                limit = Decimal("29000.0") if side is OrderSide.SELL else Decimal("31000.0")
                sim.market.trade(SYMBOL, side, limit, TRADE_QUANTITY * rng.randint(1, 3))
                if step % 100 == 50 and faults:
                    inject(sim, faults.pop(), rng, injected)
                if step % 250 == 125:
                    victim = rng.choice(ours)
                    txid = victim.exchange_order_id or ""
                    if sim.truth().orders[txid].state.is_open:
                        with contextlib.suppress(ExchangeError):  # an injected REST fault: Kraken decides
                            await kraken.cancel_order(txid)
                if step % 20 == 0:
                    await asyncio.sleep(0.01)

            await converge(sim, store, within=90, balances=False)
        finally:
            await recovery.close()

    truth = sim.truth()
    async with store.unit_of_work() as uow:
        stored = await uow.executions.since(START_OF_TIME)
        position = await uow.positions.get(SYMBOL)
    assert len(truth.executions) > 1000
    assert len(stored) == len(truth.executions)
    assert set(injected) >= set(FAULTS)
    backfilled = sum(r.executions_new for r in recovery.reports if r.reason != "start")
    assert backfilled > 0, "lost frames and dropped connections must have needed REST backfills"
    net = sum((e.quantity * e.side.sign for e in truth.domain_executions()), Decimal(0))
    assert position is not None
    assert position.quantity == net

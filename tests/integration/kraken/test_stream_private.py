"""KrakenStream's private connection against the simulator: snapshots and live executions as domain events,
acks, a fresh token per connection, and fills that are never counted twice whatever the wire does."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from kraken_stream_harness import (
    Collected,
    CountingTokens,
    fill_market_buy,
    private_stream,
    rest,
    sim,
)

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.ws_requests import UnsupportedSubscriptionError
from galfriday.domain.events import (
    BalanceReported,
    ExecutionReported,
    OrderReported,
    StreamRecoveryNeeded,
)
from galfriday.domain.market_data import MarketChannel
from galfriday.domain.order_status import OrderStatus
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["rest", "sim"]


async def test_snapshots_arrive_as_domain_events_before_the_stream_is_healthy(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    await fill_market_buy(sim, rest)
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await collected.until(lambda events: len(events) >= 5)
        balances = {e.balance.asset: e.balance.total for e in collected.of(BalanceReported)}
        truth = sim.truth().balances
        assert {asset: total for asset, total in balances.items() if total} == {
            asset: total for asset, total in truth.items() if total
        }
        [fill] = collected.of(ExecutionReported)
        assert fill.snapshot
        assert fill.execution == sim.truth().domain_executions()[0]
        await collected.stop()


async def test_live_executions_arrive_as_order_and_execution_events(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        order_filled = await collected.first(OrderReported, lambda e: e.order.status is OrderStatus.FILLED)
        [fill] = collected.of(ExecutionReported)
        assert not fill.snapshot
        assert fill.execution == sim.truth().domain_executions()[0]
        assert order_filled.order.filled_quantity == fill.execution.quantity
        await collected.stop()


async def test_executions_are_asked_with_order_and_trade_snapshots(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    """Kraken (and the simulator) leave trades out of the snapshot unless `snap_trades` is asked for."""
    await fill_market_buy(sim, rest)
    await rest.transport.private(
        "AddOrder",
        [
            ("pair", "XBTUSD"),
            ("type", "buy"),
            ("ordertype", "limit"),
            ("price", "1000.0"),
            ("volume", "0.01"),
        ],
        retry=False,
    )
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        fill = await collected.first(ExecutionReported, lambda e: e.snapshot)
        resting = await collected.first(OrderReported, lambda e: e.snapshot)
        assert fill.execution.exec_id in sim.truth().exec_ids
        assert [resting.order.exchange_order_id] == [o.txid for o in sim.truth().open_orders]
        await collected.stop()


async def test_a_gap_in_balances_resubscribes_them_for_fresh_totals(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        snapshots = len([e for e in collected.of(BalanceReported) if e.snapshot])
        sim.chaos.drop_next(1, channel="balances")
        await fill_market_buy(sim, rest)
        await collected.until(
            lambda events: sum(isinstance(e, BalanceReported) and e.snapshot for e in events) == 2 * snapshots
        )
        assert stream.counters.resyncs == 1
        latest = {e.balance.asset: e.balance.total for e in collected.of(BalanceReported)}
        assert latest["BTC"] == sim.truth().balances["BTC"]
        assert latest["USD"] == sim.truth().balances["USD"]
        assert collected.of(StreamRecoveryNeeded) == []
        await stream.wait_healthy(5)
        await collected.stop()


async def test_every_private_connection_gets_a_fresh_token(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    tokens = CountingTokens(rest)
    async with private_stream(sim, tokens) as stream:
        await stream.wait_healthy(5)
        sim.chaos.drop_connections("private")
        await asyncio.sleep(0.05)
        await stream.wait_healthy(5)
        assert len(tokens.issued) == 2
        assert len(set(tokens.issued)) == 2


async def test_a_refused_subscription_raises_a_typed_error_and_is_not_wanted(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        await stream.wait_healthy(5)
        with pytest.raises(UnsupportedSubscriptionError, match="Currency pair not supported NOPE/USD"):
            await stream.subscribe(["NOPE/USD"], [MarketChannel.TICKER])
        await stream.wait_healthy(5)


async def test_a_subscription_is_healthy_once_acked(sim: KrakenSimulator, rest: KrakenRestClient) -> None:
    async with private_stream(sim, rest) as stream:
        await stream.wait_healthy(5)
        await stream.subscribe(["BTC/USD"], [MarketChannel.TICKER])
        assert stream.health().healthy


async def test_duplicated_execution_frames_never_count_a_fill_twice(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        sim.chaos.duplicate_next(20)
        for _ in range(3):
            await fill_market_buy(sim, rest)
        await collected.until(lambda events: sum(isinstance(e, ExecutionReported) for e in events) >= 3)
        await asyncio.sleep(0.3)
        assert collected.fill_counts() == Counter(sim.truth().exec_ids)  # every fill, each once
        await collected.stop()


async def test_reordered_execution_frames_never_count_a_fill_twice_and_ask_for_recovery(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        sim.chaos.reorder_next(4)
        await fill_market_buy(sim, rest)
        await fill_market_buy(sim, rest)
        await collected.until(lambda events: sum(isinstance(e, ExecutionReported) for e in events) >= 2)
        await asyncio.sleep(0.7)
        assert collected.fill_counts() == Counter(sim.truth().exec_ids)  # every fill, each once
        assert [e.reason for e in collected.of(StreamRecoveryNeeded)] == ["gap"]
        await collected.stop()


async def test_a_missing_execution_frame_asks_for_recovery_since_the_last_private_message(
    sim: KrakenSimulator, rest: KrakenRestClient
) -> None:
    async with private_stream(sim, rest) as stream:
        collected = Collected(stream)
        await stream.wait_healthy(5)
        await fill_market_buy(sim, rest)
        before = await collected.first(ExecutionReported)
        await asyncio.sleep(0.1)
        sim.chaos.drop_next(1)
        await fill_market_buy(sim, rest)
        recovery = await collected.first(StreamRecoveryNeeded)
        assert recovery.reason == "gap"
        assert recovery.exchange == "kraken"
        assert recovery.since is not None
        assert recovery.since >= before.execution.timestamp.replace(microsecond=0)
        assert recovery.since <= recovery.occurred_at
        await collected.stop()

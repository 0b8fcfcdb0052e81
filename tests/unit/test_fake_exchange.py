"""Specification of the fake exchange beyond the public contract: funds, fees, simulation hooks, clocks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from galfriday.adapters.memory.clock import ManualClock, SystemClock
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.domain.events import (
    BalanceReported,
    BookReported,
    ExchangeEvent,
    ExecutionReported,
    OrderReported,
    StreamStatusChanged,
    TickerReported,
    TradeReported,
)
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import BookLevel, MarketChannel
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import (
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    InvalidValueError,
    NaiveDatetimeError,
    OrderNotFoundError,
)

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal
START = datetime(2024, 1, 1, tzinfo=UTC)
BTC_USD = TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=D("0.0001"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeExchange]:
    exchange = FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": D("100000"), "BTC": D("1")})
    await exchange.start()
    yield exchange
    await exchange.close()


_ids = iter(range(1, 1_000_000))


def order(
    side: OrderSide,
    quantity: str,
    price: str | None = None,
    *,
    tif: TimeInForce = TimeInForce.GTC,
    client_order_id: str | None = None,
) -> Order:
    return Order.create(
        client_order_id=client_order_id or f"c{next(_ids)}",
        symbol="BTC/USD",
        side=side,
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=None if price is None else D(price),
        time_in_force=tif,
        at=START,
    )


async def drain(events: AsyncIterator[ExchangeEvent]) -> list[ExchangeEvent]:
    """Every event already delivered to this subscription."""
    seen: list[ExchangeEvent] = []
    while True:
        try:
            seen.append(await asyncio.wait_for(anext(events), 0.01))
        except TimeoutError:
            return seen


async def available(fake: FakeExchange, asset: str) -> Decimal:
    return {b.asset: b.available for b in await fake.balances()}[asset]


async def total(fake: FakeExchange, asset: str) -> Decimal:
    return {b.asset: b.total for b in await fake.balances()}[asset]


# --- funds and fees --------------------------------------------------------------------------------------


async def test_a_limit_buy_reserves_its_value_plus_the_taker_fee(fake: FakeExchange) -> None:
    await fake.place_order(order(BUY, "0.5", "40000"))

    assert await available(fake, "USD") == D("100000") - D("0.5") * D("40000") * D("1.0026")
    assert await total(fake, "USD") == D("100000")


async def test_a_taker_buy_pays_the_taker_fee_in_quote(fake: FakeExchange) -> None:
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    await fake.place_order(order(BUY, "0.1", "50000"))

    [execution] = await fake.trades_since(START)
    assert (execution.fee, execution.fee_currency, execution.liquidity) == (D("13"), "USD", Liquidity.TAKER)
    assert await total(fake, "USD") == D("100000") - D("5000") - D("13")
    assert await total(fake, "BTC") == D("1.1")


async def test_a_maker_sell_pays_the_maker_fee_out_of_its_proceeds(fake: FakeExchange) -> None:
    await fake.place_order(order(SELL, "0.1", "60000"))

    await fake.trade("BTC/USD", BUY, D("60000"), D("0.1"))

    [execution] = await fake.trades_since(START)
    assert (execution.fee, execution.liquidity) == (D("9.6"), Liquidity.MAKER)
    assert await total(fake, "USD") == D("100000") + D("6000") - D("9.6")
    assert (await total(fake, "BTC"), await available(fake, "BTC")) == (D("0.9"), D("0.9"))


async def test_a_buy_filled_below_its_limit_releases_the_unused_reservation(fake: FakeExchange) -> None:
    await fake.add_liquidity("BTC/USD", SELL, D("40000"), D("0.1"))

    await fake.place_order(order(BUY, "0.1", "50000"))

    assert await available(fake, "USD") == await total(fake, "USD")


async def test_a_market_buy_is_refused_when_walking_the_book_costs_more_than_is_available(
    clock: ManualClock,
) -> None:
    fake = FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": D("1000")})
    await fake.add_liquidity("BTC/USD", SELL, D("500"), D("1"))
    await fake.add_liquidity("BTC/USD", SELL, D("600"), D("1"))

    with pytest.raises(InsufficientFundsError, match="USD"):
        await fake.place_order(order(BUY, "2"))


async def test_a_market_buy_reserves_exactly_what_it_spends(clock: ManualClock) -> None:
    fake = FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": D("1102.86")})
    await fake.add_liquidity("BTC/USD", SELL, D("500"), D("1"))
    await fake.add_liquidity("BTC/USD", SELL, D("600"), D("1"))

    await fake.place_order(order(BUY, "2"))

    assert (await total(fake, "USD"), await available(fake, "USD")) == (D("0"), D("0"))
    assert await total(fake, "BTC") == D("2")


async def test_a_fill_or_kill_order_that_cannot_fill_is_canceled_without_fills(fake: FakeExchange) -> None:
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    acknowledged = await fake.place_order(order(BUY, "0.2", "50000", tif=TimeInForce.FOK))

    assert acknowledged.exchange_order_id is not None
    [closed] = await fake.orders_by_id([acknowledged.exchange_order_id])
    assert (closed.status, closed.filled_quantity) == (OrderStatus.CANCELED, D("0"))
    assert await fake.trades_since(START) == []
    assert await available(fake, "USD") == D("100000")


async def test_our_orders_never_trade_with_each_other(fake: FakeExchange) -> None:
    await fake.place_order(order(SELL, "0.1", "50000"))

    acknowledged = await fake.place_order(order(BUY, "0.1", "50000"))

    assert acknowledged.exchange_order_id is not None
    [closed] = await fake.orders_by_id([acknowledged.exchange_order_id])
    assert (closed.status, closed.reason) == (OrderStatus.CANCELED, "self-trade prevented")
    assert await fake.trades_since(START) == []


async def test_ids_are_deterministic(fake: FakeExchange) -> None:
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    first = await fake.place_order(order(BUY, "0.1", "50000"))
    second = await fake.place_order(order(BUY, "0.1", "40000"))

    assert (first.exchange_order_id, second.exchange_order_id) == ("O000001", "O000002")
    [execution] = await fake.trades_since(START)
    assert (execution.exec_id, execution.trade_id) == ("T000001", "P000001")


# --- validation ------------------------------------------------------------------------------------------


async def test_an_order_already_placed_cannot_be_placed_again(fake: FakeExchange) -> None:
    acknowledged = await fake.place_order(order(BUY, "0.1", "40000"))

    with pytest.raises(InvalidOrderError, match="only a new order"):
        await fake.place_order(acknowledged)


async def test_a_client_order_id_of_an_open_order_is_refused(fake: FakeExchange) -> None:
    await fake.place_order(order(BUY, "0.1", "40000", client_order_id="dup"))

    with pytest.raises(InvalidOrderError, match="dup"):
        await fake.place_order(order(BUY, "0.1", "40000", client_order_id="dup"))


async def test_good_till_date_is_refused(fake: FakeExchange) -> None:
    with pytest.raises(InvalidOrderError, match="good-till-date"):
        await fake.place_order(order(BUY, "0.1", "40000", tif=TimeInForce.GTD))


async def test_a_quantity_below_the_minimum_is_refused(fake: FakeExchange) -> None:
    with pytest.raises(InvalidOrderError, match="at least"):
        await fake.place_order(order(BUY, "0.00001", "40000"))


async def test_liquidity_finer_than_the_tick_is_refused(fake: FakeExchange) -> None:
    with pytest.raises(InvalidOrderError, match="price"):
        await fake.add_liquidity("BTC/USD", SELL, D("50000.05"), D("1"))


async def test_fee_rates_must_be_below_one(clock: ManualClock) -> None:
    with pytest.raises(InvalidValueError, match="taker_fee"):
        FakeExchange(clock=clock, pairs=[BTC_USD], balances={}, taker_fee=D("1"))


async def test_a_float_balance_is_refused(clock: ManualClock) -> None:
    with pytest.raises(InvalidValueError):
        FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": 1.5})  # type: ignore[dict-item]


# --- the stream ------------------------------------------------------------------------------------------


async def test_a_fill_is_reported_as_execution_then_order_then_balances(fake: FakeExchange) -> None:
    events = fake.events()
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    await fake.place_order(order(BUY, "0.1", "50000"))

    seen = await drain(events)
    assert [type(e) for e in seen] == [
        OrderReported,
        ExecutionReported,
        OrderReported,
        BalanceReported,
        BalanceReported,
    ]
    assert isinstance(seen[2], OrderReported)
    reported = seen[2].order
    assert (reported.status, reported.filled_quantity, reported.filled_cost) == (
        OrderStatus.FILLED,
        D("0.1"),
        D("5000"),
    )


async def test_an_ioc_remainder_is_reported_canceled_with_its_fill(fake: FakeExchange) -> None:
    events = fake.events()
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    await fake.place_order(order(BUY, "0.3", "50000", tif=TimeInForce.IOC))

    last = [e for e in await drain(events) if isinstance(e, OrderReported)][-1]
    assert (last.order.status, last.order.filled_quantity) == (OrderStatus.CANCELED, D("0.1"))
    assert last.order.reason == "immediate-or-cancel remainder"


async def test_nothing_is_delivered_before_start(clock: ManualClock) -> None:
    fake = FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": D("100000")})
    events = fake.events()

    await fake.place_order(order(BUY, "0.1", "40000"))

    assert await drain(events) == []
    assert fake.health().reason == "not started"


async def test_start_reports_balances_then_a_healthy_stream(clock: ManualClock) -> None:
    fake = FakeExchange(clock=clock, pairs=[BTC_USD], balances={"USD": D("100")})
    events = fake.events()

    await fake.start()

    seen = await drain(events)
    assert [type(e) for e in seen] == [BalanceReported, BalanceReported, StreamStatusChanged]
    assert all(e.snapshot for e in seen if isinstance(e, BalanceReported))
    assert fake.health().healthy
    await fake.close()


async def test_events_while_disconnected_are_lost(fake: FakeExchange) -> None:
    events = fake.events()

    fake.disconnect()
    await fake.place_order(order(BUY, "0.1", "40000"))

    seen = await drain(events)
    assert [type(e) for e in seen] == [StreamStatusChanged]
    assert isinstance(seen[0], StreamStatusChanged)
    assert not seen[0].healthy
    assert not fake.health().healthy
    assert len(await fake.open_orders()) == 1


async def test_reconnect_replays_open_orders_and_balances_then_reports_healthy(fake: FakeExchange) -> None:
    events = fake.events()
    fake.disconnect()
    acknowledged = await fake.place_order(order(BUY, "0.1", "40000"))
    await drain(events)

    fake.reconnect()

    seen = await drain(events)
    assert [type(e) for e in seen] == [OrderReported, BalanceReported, BalanceReported, StreamStatusChanged]
    assert isinstance(seen[0], OrderReported)
    assert seen[0].snapshot
    assert seen[0].order.exchange_order_id == acknowledged.exchange_order_id
    assert isinstance(seen[-1], StreamStatusChanged)
    assert seen[-1].healthy
    assert (fake.health().healthy, fake.health().reconnects) == (True, 1)


async def test_close_ends_every_iteration(fake: FakeExchange) -> None:
    events = fake.events()

    await fake.close()

    assert [type(e) async for e in events] == [StreamStatusChanged]
    assert [e async for e in fake.events()] == []


async def test_account_calls_after_close_raise(fake: FakeExchange) -> None:
    await fake.close()

    with pytest.raises(ExchangeError, match="closed"):
        await fake.balances()


async def test_a_closed_subscription_receives_nothing_more(fake: FakeExchange) -> None:
    events = fake.events()
    await events.aclose()  # type: ignore[attr-defined]

    await fake.place_order(order(BUY, "0.1", "40000"))

    assert [e async for e in events] == []


async def test_market_data_is_reported_only_when_subscribed(fake: FakeExchange) -> None:
    events = fake.events()
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))

    await fake.trade("BTC/USD", BUY, D("50000"), D("0.1"))

    assert await drain(events) == []


async def test_a_book_subscription_reports_changed_levels(fake: FakeExchange) -> None:
    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.3"))
    await fake.subscribe(["BTC/USD"], [MarketChannel.BOOK])
    events = fake.events()

    await fake.trade("BTC/USD", BUY, D("50000"), D("0.1"))
    await fake.trade("BTC/USD", BUY, D("50000"), D("0.2"))

    updates = [e.update for e in await drain(events) if isinstance(e, BookReported)]
    assert [(u.is_snapshot, u.asks) for u in updates] == [
        (False, (BookLevel(D("50000"), D("0.2")),)),
        (False, (BookLevel(D("50000"), D("0")),)),
    ]


async def test_a_ticker_is_reported_only_when_it_changes(fake: FakeExchange) -> None:
    await fake.subscribe(["BTC/USD"], [MarketChannel.TICKER])
    events = fake.events()

    await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.3"))
    await fake.add_liquidity("BTC/USD", SELL, D("51000"), D("0.3"))

    tickers = [e.ticker for e in await drain(events) if isinstance(e, TickerReported)]
    assert [(t.ask, t.ask_quantity) for t in tickers] == [(D("50000"), D("0.3"))]


async def test_a_trade_print_names_the_aggressor_side(fake: FakeExchange) -> None:
    await fake.subscribe(["BTC/USD"], [MarketChannel.TRADE])
    events = fake.events()
    await fake.add_liquidity("BTC/USD", BUY, D("49000"), D("0.3"))

    await fake.trade("BTC/USD", SELL, D("49000"), D("0.1"))

    [trade] = [e.trade for e in await drain(events) if isinstance(e, TradeReported)]
    assert (trade.side, trade.price, trade.quantity) == (SELL, D("49000"), D("0.1"))


async def test_subscribing_to_an_unknown_symbol_is_refused(fake: FakeExchange) -> None:
    with pytest.raises(ExchangeError, match="DOGE/USD"):
        await fake.subscribe(["DOGE/USD"], [MarketChannel.TRADE])


# --- the dead-man's switch -------------------------------------------------------------------------------


async def test_the_switch_fires_on_tick_once_the_deadline_passes(
    fake: FakeExchange, clock: ManualClock
) -> None:
    acknowledged = await fake.place_order(order(BUY, "0.1", "40000"))
    fires_at = await fake.cancel_all_after(10)
    assert fires_at == START + timedelta(seconds=10)
    clock.advance(10)

    await fake.tick()

    assert acknowledged.exchange_order_id is not None
    [closed] = await fake.orders_by_id([acknowledged.exchange_order_id])
    assert (closed.status, closed.updated_at) == (OrderStatus.CANCELED, fires_at)
    assert await available(fake, "USD") == D("100000")


async def test_the_switch_fires_before_any_operation_that_reads_a_later_clock(
    fake: FakeExchange, clock: ManualClock
) -> None:
    await fake.place_order(order(SELL, "0.1", "60000"))
    await fake.cancel_all_after(10)
    clock.advance(11)

    await fake.trade("BTC/USD", BUY, D("60000"), D("0.1"))

    assert await fake.trades_since(START) == []
    assert await fake.open_orders() == []


async def test_the_switch_fires_once(fake: FakeExchange, clock: ManualClock) -> None:
    await fake.cancel_all_after(10)
    clock.advance(11)
    await fake.tick()

    await fake.place_order(order(BUY, "0.1", "40000"))
    clock.advance(60)
    await fake.tick()

    assert len(await fake.open_orders()) == 1


async def test_the_switch_fires_without_being_asked_once_its_deadline_passes(
    fake: FakeExchange, clock: ManualClock
) -> None:
    await fake.place_order(order(BUY, "0.1", "40000"))
    await fake.cancel_all_after(10)
    clock.advance(11)

    await asyncio.sleep(0.2)

    assert (await fake.open_orders()) == []


async def test_a_negative_timeout_is_refused(fake: FakeExchange) -> None:
    with pytest.raises(ExchangeError):
        await fake.cancel_all_after(-1)


# --- clocks ----------------------------------------------------------------------------------------------


async def test_a_manual_clock_sleep_moves_time_without_waiting(clock: ManualClock) -> None:
    await clock.sleep(3600)

    assert clock.now() == START + timedelta(hours=1)


def test_a_manual_clock_advance_returns_the_new_instant(clock: ManualClock) -> None:
    assert clock.advance(1.5) == START + timedelta(seconds=1.5)


def test_a_manual_clock_does_not_advance_backwards(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="set"):
        clock.advance(-1)


def test_a_manual_clock_can_be_set(clock: ManualClock) -> None:
    clock.set(datetime(2023, 6, 1, tzinfo=UTC))

    assert clock.now() == datetime(2023, 6, 1, tzinfo=UTC)


def test_a_manual_clock_refuses_a_naive_start() -> None:
    with pytest.raises(NaiveDatetimeError):
        ManualClock(datetime(2024, 1, 1))


async def test_the_system_clock_reads_aware_utc() -> None:
    now = SystemClock().now()

    assert now.tzinfo is UTC
    await SystemClock().sleep(0)


# --- properties over random order flow -------------------------------------------------------------------

SMALL = TradingPair("BTC/USD", price_precision=0, quantity_precision=1)

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("place"),
            st.sampled_from([BUY, SELL]),
            st.integers(min_value=1, max_value=20).map(lambda n: D(n) / 10),
            st.one_of(st.none(), st.integers(min_value=97, max_value=103).map(D)),
            st.sampled_from([TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
        ),
        st.tuples(
            st.sampled_from(["quote", "take"]),
            st.sampled_from([BUY, SELL]),
            st.integers(min_value=1, max_value=20).map(lambda n: D(n) / 10),
            st.integers(min_value=97, max_value=103).map(D),
            st.just(TimeInForce.GTC),
        ),
        st.tuples(
            st.just("cancel"),
            st.just(BUY),
            st.integers(min_value=1, max_value=30).map(D),
            st.none(),
            st.just(TimeInForce.GTC),
        ),
    ),
    min_size=3,
    max_size=40,
)


async def _random_flow(flow: list[tuple[str, OrderSide, Decimal, Decimal | None, TimeInForce]]) -> None:
    clock = ManualClock(START)
    initial = {"USD": D("500"), "BTC": D("3")}
    fake = FakeExchange(clock=clock, pairs=[SMALL], balances=initial)
    await fake.start()
    events = fake.events()
    await fake.add_liquidity("BTC/USD", BUY, D("99"), D("2"))
    await fake.add_liquidity("BTC/USD", SELL, D("101"), D("2"))
    for n, (action, side, quantity, price, tif) in enumerate(flow):
        if action == "place":
            placed = Order.create(
                client_order_id=f"h{n}",
                symbol="BTC/USD",
                side=side,
                order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
                quantity=quantity,
                limit_price=price,
                time_in_force=tif,
                at=START,
            )
            before = await fake.balances()
            try:
                await fake.place_order(placed)
            except InsufficientFundsError:
                assert await fake.balances() == before
        elif action == "quote":
            assert price is not None
            await fake.add_liquidity("BTC/USD", side, price, quantity)
        elif action == "take":
            assert price is not None
            await fake.trade("BTC/USD", side, price, quantity)
        else:
            with contextlib.suppress(OrderNotFoundError):
                await fake.cancel_order(f"O{int(quantity):06d}")
        book = fake.book("BTC/USD")
        bid, ask = book.best(BUY), book.best(SELL)
        assert bid is None or ask is None or bid < ask
        await _assert_reservations_match_open_orders(fake)
        clock.advance(1)

    executions = await fake.trades_since(START)
    event(f"executions: {min(len(executions), 4)}+")
    expected = dict(initial)
    for e in executions:
        expected["BTC"] += e.quantity * e.side.sign
        expected["USD"] -= e.cost * e.side.sign + e.fee
    balances = {b.asset: b for b in await fake.balances()}
    assert {asset: b.total for asset, b in balances.items()} == expected

    orders = await fake.orders_by_id([f"O{i:06d}" for i in range(1, len(flow) + 1)])
    for placed_order in orders:
        own = [e for e in executions if e.order_id == placed_order.exchange_order_id]
        assert placed_order.filled_quantity == sum((e.quantity for e in own), D(0))
        assert placed_order.exec_ids == {e.exec_id for e in own}

    await fake.cancel_all_after(1)
    clock.advance(1)
    await fake.tick()
    assert all(b.available == b.total for b in await fake.balances())

    await fake.close()
    streamed = [e.execution for e in [e async for e in events] if isinstance(e, ExecutionReported)]
    assert [e.exec_id for e in streamed] == [e.exec_id for e in executions]
    assert len({e.exec_id for e in streamed}) == len(streamed)


async def _assert_reservations_match_open_orders(fake: FakeExchange) -> None:
    """Open buys hold remaining x limit x (1 + taker fee) of USD; open sells hold their remaining BTC."""
    reserved = {b.asset: b.reserved for b in await fake.balances()}
    held = {"USD": D(0), "BTC": D(0)}
    for open_order in await fake.open_orders():
        assert open_order.limit_price is not None
        if open_order.side is BUY:
            held["USD"] += open_order.remaining_quantity * open_order.limit_price * D("1.0026")
        else:
            held["BTC"] += open_order.remaining_quantity
    assert reserved == held


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_random_flow_moves_funds_by_exactly_the_fills_and_releases_every_reservation(
    flow: list[tuple[str, OrderSide, Decimal, Decimal | None, TimeInForce]],
) -> None:
    asyncio.run(_random_flow(flow))


def test_reported_orders_are_domain_orders_that_replay_through_the_state_machine() -> None:
    async def scenario() -> list[ExchangeEvent]:
        fake = FakeExchange(clock=ManualClock(START), pairs=[BTC_USD], balances={"USD": D("100000")})
        await fake.start()
        events = fake.events()
        await fake.add_liquidity("BTC/USD", SELL, D("50000"), D("0.1"))
        acknowledged = await fake.place_order(order(BUY, "0.3", "50000"))
        await fake.trade("BTC/USD", SELL, D("50000"), D("0.1"))
        assert acknowledged.exchange_order_id is not None
        await fake.cancel_order(acknowledged.exchange_order_id)
        await fake.close()
        return [e async for e in events]

    seen = asyncio.run(scenario())
    reports = [e.order for e in seen if isinstance(e, OrderReported)]
    ours = attrs.evolve(reports[0], status=OrderStatus.PENDING_NEW, exchange_order_id=None)
    for e in seen:
        if isinstance(e, ExecutionReported):
            ours = ours.apply_execution(e.execution).order
        elif isinstance(e, OrderReported):
            ours = ours.apply_status(
                e.order.status,
                e.occurred_at,
                filled_quantity=e.order.filled_quantity,
                exchange_order_id=e.order.exchange_order_id,
            ).order
            assert (ours.status, ours.filled_quantity) == (e.order.status, e.order.filled_quantity)
    assert [r.status for r in reports] == [
        OrderStatus.NEW,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.CANCELED,
    ]

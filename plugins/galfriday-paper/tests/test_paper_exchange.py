"""What the paper exchange does beyond the contract: its fees, holds, order types, ids, stream and lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from galfriday_paper import PaperExchange, PaperFeed
from paper_market import ManualClock, drained

from galfriday.domain.events import (
    BookReported,
    ExecutionReported,
    OrderReported,
    TickerReported,
    TradeReported,
)
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import BookLevel, MarketChannel
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce
from galfriday.errors import ExchangeError, InsufficientFundsError, InvalidOrderError, InvalidValueError

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal
START = datetime(2024, 1, 1, tzinfo=UTC)
PAIR = TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=D("0.0001"))
_ids = iter(range(1, 1_000_000))


def order(
    side: OrderSide,
    quantity: str,
    price: str | None = None,
    time_in_force: TimeInForce = TimeInForce.GTC,
) -> Order:
    return Order.create(
        client_order_id=f"c{next(_ids)}",
        symbol="BTC/USD",
        side=side,
        order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=None if price is None else D(price),
        time_in_force=time_in_force,
        at=START,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def exchange(clock: ManualClock) -> AsyncIterator[PaperExchange]:
    paper = PaperExchange(
        clock=clock,
        pairs=[PAIR],
        balances={"USD": D("100000"), "BTC": D("1")},
        maker_fee=D("0.001"),
        taker_fee=D("0.002"),
    )
    await paper.start()
    yield paper
    await paper.close()


@pytest.fixture
def feed(exchange: PaperExchange) -> PaperFeed:
    return PaperFeed(exchange)


async def totals(exchange: PaperExchange) -> dict[str, tuple[Decimal, Decimal]]:
    return {b.asset: (b.total, b.available) for b in await exchange.balances()}


# --- fees and holds --------------------------------------------------------------------------------------


async def test_a_fill_that_takes_pays_the_taker_fee_in_the_quote(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    events = exchange.events()
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.01"))

    await exchange.place_order(order(BUY, "0.01", "50000"))

    [execution] = [e.execution for e in await drained(events) if isinstance(e, ExecutionReported)]
    assert (execution.fee, execution.fee_currency, execution.liquidity) == (
        D("1.000"),
        "USD",
        Liquidity.TAKER,
    )
    assert await totals(exchange) == {"BTC": (D("1.01"), D("1.01")), "USD": (D("99499"), D("99499"))}


async def test_a_resting_order_that_is_taken_pays_the_maker_fee(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    events = exchange.events()
    await exchange.place_order(order(SELL, "0.01", "51000"))

    feed.trade("BTC/USD", BUY, D("51000"), D("0.01"))

    [execution] = [e.execution for e in await drained(events) if isinstance(e, ExecutionReported)]
    assert (execution.fee, execution.liquidity) == (D("0.51"), Liquidity.MAKER)
    assert await totals(exchange) == {"BTC": (D("0.99"), D("0.99")), "USD": (D("100509.49"), D("100509.49"))}


async def test_a_resting_buy_holds_its_cost_and_the_higher_fee(exchange: PaperExchange) -> None:
    await exchange.place_order(order(BUY, "0.01", "40000"))

    assert (await totals(exchange))["USD"] == (D("100000"), D("100000") - D("400") * D("1.002"))


async def test_a_buy_filled_below_its_limit_releases_the_rest_of_its_hold(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.add_liquidity("BTC/USD", SELL, D("49000"), D("0.01"))

    await exchange.place_order(order(BUY, "0.01", "50000"))

    total, available = (await totals(exchange))["USD"]
    assert total == available == D("100000") - D("490") - D("0.980")


# --- order types -----------------------------------------------------------------------------------------


async def test_a_market_order_with_nothing_to_take_is_canceled_unfilled_and_holds_nothing(
    exchange: PaperExchange,
) -> None:
    events = exchange.events()

    placed = await exchange.place_order(order(BUY, "0.01"))

    reports = [e.order for e in await drained(events) if isinstance(e, OrderReported)]
    assert [(o.exchange_order_id, o.status, o.filled_quantity) for o in reports] == [
        (placed.exchange_order_id, OrderStatus.NEW, D(0)),
        (placed.exchange_order_id, OrderStatus.CANCELED, D(0)),
    ]
    assert (await totals(exchange))["USD"] == (D("100000"), D("100000"))


async def test_fill_or_kill_without_enough_liquidity_is_canceled_unfilled(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.01"))

    placed = await exchange.place_order(order(BUY, "0.02", "50000", TimeInForce.FOK))

    [found] = await exchange.orders_by_id([placed.order_id])
    assert (found.status, found.filled_quantity) == (OrderStatus.CANCELED, D(0))
    assert exchange.book("BTC/USD").levels(SELL) == [(D("50000"), D("0.01"))]


async def test_fill_or_kill_with_enough_liquidity_fills(exchange: PaperExchange, feed: PaperFeed) -> None:
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.02"))

    placed = await exchange.place_order(order(BUY, "0.02", "50000", TimeInForce.FOK))

    [found] = await exchange.orders_by_id([placed.order_id])
    assert (found.status, found.filled_quantity) == (OrderStatus.FILLED, D("0.02"))


async def test_good_till_date_is_refused_naming_the_symbol(exchange: PaperExchange) -> None:
    with pytest.raises(InvalidOrderError, match=r"BTC/USD.*gtd"):
        await exchange.place_order(order(BUY, "0.01", "40000", TimeInForce.GTD))


async def test_an_order_already_acknowledged_cannot_be_placed_again(exchange: PaperExchange) -> None:
    placed = await exchange.place_order(order(BUY, "0.01", "40000"))

    with pytest.raises(InvalidOrderError, match="pending_new"):
        await exchange.place_order(placed)


async def test_our_order_trades_with_our_own_resting_order_as_taker_and_maker(
    exchange: PaperExchange,
) -> None:
    events = exchange.events()
    resting = await exchange.place_order(order(SELL, "0.01", "50000"))

    taking = await exchange.place_order(order(BUY, "0.01", "50000"))

    fills = {
        e.execution.order_id: e.execution for e in await drained(events) if isinstance(e, ExecutionReported)
    }
    assert fills[resting.order_id].liquidity is Liquidity.MAKER
    assert fills[taking.order_id].liquidity is Liquidity.TAKER
    assert fills[resting.order_id].trade_id == fills[taking.order_id].trade_id


# --- ids -------------------------------------------------------------------------------------------------


async def test_two_paper_exchanges_never_share_an_exec_id(
    exchange: PaperExchange, clock: ManualClock
) -> None:
    other = PaperExchange(clock=clock, pairs=[PAIR], balances={"USD": D("100000")})
    await other.start()
    try:
        for paper in (exchange, other):
            PaperFeed(paper).add_liquidity("BTC/USD", SELL, D("50000"), D("0.01"))
            await paper.place_order(order(BUY, "0.01", "50000"))

        [mine], [theirs] = [await paper.trades_since(START) for paper in (exchange, other)]
    finally:
        await other.close()

    assert mine.exec_id != theirs.exec_id
    assert mine.order_id != theirs.order_id


# --- the stream ------------------------------------------------------------------------------------------


async def test_a_fill_is_reported_as_new_execution_order_balances_then_the_public_trade(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    await exchange.subscribe(["BTC/USD"], [MarketChannel.TRADE])
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.01"))
    events = exchange.events()

    await exchange.place_order(order(BUY, "0.01", "50000"))

    kinds = [type(e).__name__ for e in await drained(events)]
    assert kinds == [
        "OrderReported",
        "ExecutionReported",
        "OrderReported",
        "BalanceReported",
        "BalanceReported",
        "TradeReported",
    ]


async def test_a_book_subscription_reports_the_levels_that_change_after_its_snapshot(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    events = exchange.events()
    await exchange.subscribe(["BTC/USD"], [MarketChannel.BOOK])
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.5"))
    feed.trade("BTC/USD", BUY, D("50000"), D("0.5"))

    updates = [e.update for e in await drained(events) if isinstance(e, BookReported)]

    assert [(u.is_snapshot, u.bids, u.asks) for u in updates] == [
        (True, (), ()),
        (False, (), (BookLevel(D("50000"), D("0.5")),)),
        (False, (), (BookLevel(D("50000"), D("0")),)),
    ]


async def test_the_ticker_carries_the_last_trade_price(exchange: PaperExchange, feed: PaperFeed) -> None:
    events = exchange.events()
    await exchange.subscribe(["BTC/USD"], [MarketChannel.TICKER])
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.5"))

    feed.trade("BTC/USD", BUY, D("50000"), D("0.1"))

    tickers = [e.ticker for e in await drained(events) if isinstance(e, TickerReported)]
    assert (tickers[-1].ask, tickers[-1].ask_quantity, tickers[-1].last) == (D("50000"), D("0.4"), D("50000"))


async def test_unsubscribing_stops_the_market_data(exchange: PaperExchange, feed: PaperFeed) -> None:
    await exchange.subscribe(["BTC/USD"], [MarketChannel.TRADE])
    await exchange.unsubscribe(["BTC/USD"], [MarketChannel.TRADE])
    events = exchange.events()
    feed.add_liquidity("BTC/USD", SELL, D("50000"), D("0.5"))

    feed.trade("BTC/USD", BUY, D("50000"), D("0.1"))

    assert not [e for e in await drained(events) if isinstance(e, TradeReported)]


async def test_candles_are_refused_because_the_paper_exchange_builds_none(exchange: PaperExchange) -> None:
    with pytest.raises(InvalidValueError, match="candles"):
        await exchange.subscribe(["BTC/USD"], [MarketChannel.OHLC])


async def test_market_data_of_a_pair_not_traded_is_refused_naming_it(exchange: PaperExchange) -> None:
    with pytest.raises(InvalidValueError, match="DOGE/USD"):
        await exchange.subscribe(["DOGE/USD"], [MarketChannel.TRADE])


# --- time and lifecycle ----------------------------------------------------------------------------------


async def test_the_dead_man_s_switch_fires_when_the_clock_passes_it_without_a_tick(
    exchange: PaperExchange, clock: ManualClock
) -> None:
    events = exchange.events()
    placed = await exchange.place_order(order(BUY, "0.01", "40000"))
    await exchange.cancel_all_after(5)

    await clock.advance(6)

    async with asyncio.timeout(2):
        async for event in events:
            if isinstance(event, OrderReported) and event.order.status is OrderStatus.CANCELED:
                assert event.order.exchange_order_id == placed.exchange_order_id
                break
    assert await exchange.open_orders() == []


async def test_orders_are_refused_until_the_exchange_is_started(clock: ManualClock) -> None:
    paper = PaperExchange(clock=clock, pairs=[PAIR], balances={"USD": D("100")})

    assert not paper.health().healthy
    with pytest.raises(ExchangeError, match="not started"):
        await paper.place_order(order(BUY, "0.001", "40000"))


async def test_closing_ends_every_stream_and_the_exchange_is_no_longer_healthy(
    exchange: PaperExchange,
) -> None:
    first, second = exchange.events(), exchange.events()

    await exchange.close()

    assert [type(e).__name__ for e in await drained(first)] == ["StreamStatusChanged"]
    assert [type(e).__name__ for e in await drained(second)] == ["StreamStatusChanged"]
    assert not exchange.health().healthy
    assert await drained(exchange.events()) == []


async def test_a_closed_exchange_cannot_start_again(exchange: PaperExchange) -> None:
    await exchange.close()

    with pytest.raises(ExchangeError, match="closed"):
        await exchange.start()


@pytest.mark.parametrize("fee", [D("-0.001"), D("1"), D("NaN")])
def test_a_fee_rate_outside_zero_to_one_is_refused(clock: ManualClock, fee: Decimal) -> None:
    with pytest.raises(InvalidValueError, match="taker_fee"):
        PaperExchange(clock=clock, pairs=[PAIR], balances={}, taker_fee=fee)


async def test_a_buy_beyond_the_available_quote_is_refused_naming_the_order_and_the_amounts(
    exchange: PaperExchange,
) -> None:
    refused = order(BUY, "3", "40000")

    with pytest.raises(InsufficientFundsError) as caught:
        await exchange.place_order(refused)

    message = str(caught.value)
    assert f"BTC/USD buy order {refused.client_order_id}" in message
    assert "needs 120240.000 USD (fees included); 100000 USD is available" in message

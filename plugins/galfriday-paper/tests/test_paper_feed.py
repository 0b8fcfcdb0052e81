"""The feed: another exchange's book and trades become the paper exchange's market, as its docstring says."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from galfriday_paper import Owner, PaperExchange, PaperFeed
from paper_market import ManualClock

from galfriday.domain.events import BookReported, ExchangeEvent, TickerReported, TradeReported
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import BookLevel, BookUpdate, Ticker, Trade
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.errors import InvalidValueError

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal
START = datetime(2024, 1, 1, tzinfo=UTC)
PAIR = TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=D("0.0001"))


def book(
    *, bids: Sequence[tuple[str, str]] = (), asks: Sequence[tuple[str, str]] = (), snapshot: bool = False
) -> BookReported:
    return BookReported(
        BookUpdate(
            "BTC/USD",
            [BookLevel(D(p), D(q)) for p, q in bids],
            [BookLevel(D(p), D(q)) for p, q in asks],
            snapshot,
            START,
        )
    )


def print_(side: OrderSide, price: str, quantity: str, symbol: str = "BTC/USD") -> TradeReported:
    return TradeReported(Trade(symbol, "t1", side, D(price), D(quantity), START))


def limit(side: OrderSide, quantity: str, price: str) -> Order:
    return Order.create(
        client_order_id=f"c-{side}-{price}",
        symbol="BTC/USD",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        limit_price=D(price),
        at=START,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def exchange(clock: ManualClock) -> AsyncIterator[PaperExchange]:
    paper = PaperExchange(clock=clock, pairs=[PAIR], balances={"USD": D("100000"), "BTC": D("1")})
    await paper.start()
    yield paper
    await paper.close()


@pytest.fixture
def feed(exchange: PaperExchange) -> PaperFeed:
    return PaperFeed(exchange)


async def status(exchange: PaperExchange, order_id: str) -> tuple[OrderStatus, Decimal]:
    [order] = await exchange.orders_by_id([order_id])
    return order.status, order.filled_quantity


# --- book events -----------------------------------------------------------------------------------------


async def test_a_book_snapshot_becomes_liquidity_our_order_takes(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    assert feed.apply_market_event(book(bids=[("49990", "1")], asks=[("50010", "0.5")], snapshot=True))

    placed = await exchange.place_order(limit(BUY, "0.1", "50010"))

    [fill] = await exchange.trades_since(START)
    assert (fill.order_id, fill.price, fill.quantity, fill.liquidity) == (
        placed.order_id,
        D("50010"),
        D("0.1"),
        Liquidity.TAKER,
    )
    assert exchange.book("BTC/USD").levels(SELL) == [(D("50010"), D("0.4"))]


async def test_a_snapshot_replaces_the_market_s_levels_and_keeps_our_orders(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.apply_market_event(book(bids=[("49990", "1")], asks=[("50010", "1")], snapshot=True))
    ours = await exchange.place_order(limit(BUY, "0.1", "49000"))

    feed.apply_market_event(book(bids=[("49980", "2")], asks=[("50020", "3")], snapshot=True))

    paper_book = exchange.book("BTC/USD")
    assert paper_book.levels(SELL) == [(D("50020"), D("3"))]
    assert [(o.order_id, o.price) for o in paper_book.orders(BUY)][1] == (ours.order_id, D("49000"))
    assert paper_book.levels(BUY) == [(D("49980"), D("2")), (D("49000"), D("0.1"))]


async def test_a_book_update_sets_the_market_s_quantity_and_zero_removes_the_level(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.apply_market_event(book(asks=[("50010", "1"), ("50020", "1")], snapshot=True))

    feed.apply_market_event(book(asks=[("50010", "0"), ("50020", "2.5")]))

    assert exchange.book("BTC/USD").levels(SELL) == [(D("50020"), D("2.5"))]


async def test_a_level_that_moves_the_best_price_drops_the_stale_levels_it_crosses(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.apply_market_event(book(bids=[("49990", "1")], asks=[("50010", "1")], snapshot=True))

    feed.apply_market_event(book(asks=[("49980", "1")]))

    assert exchange.book("BTC/USD").levels(BUY) == []
    assert exchange.book("BTC/USD").levels(SELL) == [(D("49980"), D("1")), (D("50010"), D("1"))]  # no trade


async def test_a_book_level_that_crosses_our_resting_order_fills_it_at_our_price_as_maker(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    ours = await exchange.place_order(limit(BUY, "0.1", "50000"))

    feed.apply_market_event(book(asks=[("49950", "1")]))

    [fill] = await exchange.trades_since(START)
    assert (fill.order_id, fill.price, fill.liquidity) == (ours.order_id, D("50000"), Liquidity.MAKER)
    assert exchange.book("BTC/USD").levels(SELL) == [(D("49950"), D("0.9"))]


# --- trade events ----------------------------------------------------------------------------------------


async def test_a_print_fills_our_order_only_after_the_market_s_queue_ahead_of_it(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    feed.apply_market_event(book(bids=[("49000", "1")], snapshot=True))
    ours = await exchange.place_order(limit(BUY, "0.1", "49000"))

    feed.apply_market_event(print_(SELL, "49000", "0.6"))
    assert await status(exchange, ours.order_id) == (OrderStatus.NEW, D(0))

    feed.apply_market_event(print_(SELL, "49000", "0.45"))
    assert await status(exchange, ours.order_id) == (OrderStatus.PARTIALLY_FILLED, D("0.05"))


async def test_a_print_through_our_price_fills_us_at_our_price(
    exchange: PaperExchange, feed: PaperFeed
) -> None:
    ours = await exchange.place_order(limit(SELL, "0.1", "50000"))

    feed.apply_market_event(print_(BUY, "50100", "0.3"))

    [fill] = await exchange.trades_since(START)
    assert (fill.order_id, fill.price, fill.quantity) == (ours.order_id, D("50000"), D("0.1"))


async def test_a_print_leaves_nothing_resting_behind() -> None:
    clock = ManualClock(START)
    paper = PaperExchange(clock=clock, pairs=[PAIR], balances={}, deadline_poll_seconds=None)

    PaperFeed(paper).trade("BTC/USD", BUY, D("50000"), D("1"))

    assert paper.book("BTC/USD").levels(BUY) == []


# --- what is ignored and refused -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        print_(BUY, "3000", "1", symbol="ETH/USD"),
        TickerReported(Ticker("BTC/USD", D("1"), D("1"), D("2"), D("1"), D("1"), D("0"), START)),
    ],
    ids=["a pair not traded", "a ticker"],
)
def test_other_events_are_ignored(feed: PaperFeed, exchange: PaperExchange, event: ExchangeEvent) -> None:
    assert feed.apply_market_event(event) is False
    assert exchange.book("BTC/USD").levels(SELL) == exchange.book("BTC/USD").levels(BUY) == []


def test_liquidity_for_a_pair_not_traded_is_refused_naming_it(feed: PaperFeed) -> None:
    with pytest.raises(InvalidValueError, match="ETH/USD"):
        feed.add_liquidity("ETH/USD", SELL, D("3000"), D("1"))


def test_a_quantity_of_zero_is_refused(feed: PaperFeed) -> None:
    with pytest.raises(InvalidValueError, match="quantity"):
        feed.trade("BTC/USD", SELL, D("3000"), D("0"))


# --- following another exchange --------------------------------------------------------------------------


async def test_following_a_source_applies_its_book_and_trades_until_its_stream_ends(
    exchange: PaperExchange, feed: PaperFeed, clock: ManualClock
) -> None:
    source = PaperExchange(clock=clock, pairs=[PAIR], balances={}, name="source")
    await source.start()
    source_market = PaperFeed(source)
    ours = await exchange.place_order(limit(SELL, "0.1", "50100"))
    following = asyncio.create_task(feed.follow(source, ["BTC/USD"]))
    await asyncio.sleep(0)  # the follower subscribes before the source's market moves

    source_market.add_liquidity("BTC/USD", SELL, D("50200"), D("2"))
    source_market.add_liquidity("BTC/USD", BUY, D("49900"), D("1"))
    source_market.trade("BTC/USD", BUY, D("50200"), D("0.5"))
    await source.close()
    applied = await asyncio.wait_for(following, 2)

    assert applied == 5  # the snapshot, two book updates, the trade, and the book update the trade caused
    assert exchange.book("BTC/USD").levels(BUY) == [(D("49900"), D("1"))]
    assert [(o.owner, o.price, o.remaining) for o in exchange.book("BTC/USD").orders(SELL)] == [
        (Owner.MARKET, D("50200"), D("1.5"))
    ]
    assert await status(exchange, ours.order_id) == (OrderStatus.FILLED, D("0.1"))

"""Specification of the matching engine behind the fake exchange: price-time priority, fees, TIF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galfriday.adapters.memory.matching import FeeSchedule, MatchingEngine
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.orders import TimeInForce

BUY, SELL = OrderSide.BUY, OrderSide.SELL
SYMBOL = "BTC/USD"
D = Decimal


@pytest.fixture
def engine() -> MatchingEngine:
    return MatchingEngine([SYMBOL], FeeSchedule(maker=D("0.0016"), taker=D("0.0026")))


def quote(engine: MatchingEngine, order_id: str, side: OrderSide, price: str, quantity: str) -> None:
    result = engine.submit(SYMBOL, order_id, side, D(quantity), price=D(price))
    assert result.resting == D(quantity), "a quote in these tests must rest whole"


# --- price-time priority ---------------------------------------------------------------------------------


def test_a_buy_takes_the_lowest_ask_first(engine: MatchingEngine) -> None:
    quote(engine, "high", SELL, "101", "1")
    quote(engine, "low", SELL, "100", "1")

    result = engine.submit(SYMBOL, "taker", BUY, D("1"), price=D("101"))

    assert [f.maker_order_id for f in result.fills] == ["low"]


def test_a_sell_takes_the_highest_bid_first(engine: MatchingEngine) -> None:
    quote(engine, "low", BUY, "99", "1")
    quote(engine, "high", BUY, "100", "1")

    result = engine.submit(SYMBOL, "taker", SELL, D("1"), price=D("99"))

    assert [f.maker_order_id for f in result.fills] == ["high"]


def test_orders_at_the_same_price_fill_oldest_first(engine: MatchingEngine) -> None:
    quote(engine, "first", SELL, "100", "1")
    quote(engine, "second", SELL, "100", "1")

    result = engine.submit(SYMBOL, "taker", BUY, D("1.5"), price=D("100"))

    assert [(f.maker_order_id, f.quantity) for f in result.fills] == [("first", D("1")), ("second", D("0.5"))]


def test_a_partially_filled_order_keeps_its_place_in_the_queue(engine: MatchingEngine) -> None:
    quote(engine, "first", SELL, "100", "2")
    quote(engine, "second", SELL, "100", "2")
    engine.submit(SYMBOL, "t1", BUY, D("1"), price=D("100"))

    result = engine.submit(SYMBOL, "t2", BUY, D("1"), price=D("100"))

    assert [f.maker_order_id for f in result.fills] == ["first"]


def test_a_fill_executes_at_the_resting_price(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    result = engine.submit(SYMBOL, "taker", BUY, D("1"), price=D("105"))

    assert result.fills[0].price == D("100")


# --- resting and partial fills ---------------------------------------------------------------------------


def test_a_limit_order_that_does_not_cross_rests_whole(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "101", "1")

    result = engine.submit(SYMBOL, "bid", BUY, D("1"), price=D("100"))

    assert (result.fills, result.resting, result.canceled) == ((), D("1"), D("0"))
    assert engine.book(SYMBOL).best(BUY) == D("100")


def test_a_partial_fill_rests_the_remainder_at_the_limit(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    result = engine.submit(SYMBOL, "bid", BUY, D("3"), price=D("100"))

    assert (result.filled, result.resting) == (D("1"), D("2"))
    assert engine.book(SYMBOL).levels(BUY) == [(D("100"), D("2"))]
    assert engine.book(SYMBOL).levels(SELL) == []


def test_a_fully_filled_maker_leaves_the_book(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    engine.submit(SYMBOL, "bid", BUY, D("1"), price=D("100"))

    assert "ask" not in engine.book(SYMBOL)
    assert engine.book(SYMBOL).best(SELL) is None


def test_the_fill_reports_what_the_maker_has_left(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "3")

    result = engine.submit(SYMBOL, "bid", BUY, D("1"), price=D("100"))

    assert result.fills[0].maker_remaining == D("2")


def test_levels_sum_the_orders_at_each_price_best_first(engine: MatchingEngine) -> None:
    quote(engine, "a", SELL, "101", "1")
    quote(engine, "b", SELL, "100", "1")
    quote(engine, "c", SELL, "100", "0.5")

    assert engine.book(SYMBOL).levels(SELL) == [(D("100"), D("1.5")), (D("101"), D("1"))]


# --- time in force and market orders ---------------------------------------------------------------------


def test_an_immediate_or_cancel_order_cancels_its_remainder(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    result = engine.submit(SYMBOL, "ioc", BUY, D("3"), price=D("100"), time_in_force=TimeInForce.IOC)

    assert (result.filled, result.resting, result.canceled) == (D("1"), D("0"), D("2"))
    assert result.reason is not None
    assert "immediate-or-cancel" in result.reason
    assert engine.book(SYMBOL).best(BUY) is None


def test_a_fill_or_kill_order_that_cannot_fill_whole_changes_nothing(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    result = engine.submit(SYMBOL, "fok", BUY, D("2"), price=D("100"), time_in_force=TimeInForce.FOK)

    assert (result.fills, result.canceled) == ((), D("2"))
    assert engine.book(SYMBOL).levels(SELL) == [(D("100"), D("1"))]


def test_a_fill_or_kill_order_that_can_fill_whole_fills(engine: MatchingEngine) -> None:
    quote(engine, "a", SELL, "100", "1")
    quote(engine, "b", SELL, "101", "1")

    result = engine.submit(SYMBOL, "fok", BUY, D("2"), price=D("101"), time_in_force=TimeInForce.FOK)

    assert (result.filled, result.canceled) == (D("2"), D("0"))


def test_a_market_order_walks_the_book(engine: MatchingEngine) -> None:
    quote(engine, "a", SELL, "100", "1")
    quote(engine, "b", SELL, "102", "1")
    quote(engine, "c", SELL, "105", "1")

    result = engine.submit(SYMBOL, "mkt", BUY, D("2.5"))

    assert [(f.price, f.quantity) for f in result.fills] == [
        (D("100"), D("1")),
        (D("102"), D("1")),
        (D("105"), D("0.5")),
    ]


def test_a_market_order_never_rests(engine: MatchingEngine) -> None:
    quote(engine, "a", SELL, "100", "1")

    result = engine.submit(SYMBOL, "mkt", BUY, D("3"))

    assert (result.filled, result.resting, result.canceled) == (D("1"), D("0"), D("2"))
    assert engine.book(SYMBOL).best(BUY) is None


def test_good_till_date_is_refused(engine: MatchingEngine) -> None:
    with pytest.raises(ValueError, match="good-till-date"):
        engine.submit(SYMBOL, "gtd", BUY, D("1"), price=D("100"), time_in_force=TimeInForce.GTD)


def test_an_order_id_already_on_the_book_is_refused(engine: MatchingEngine) -> None:
    quote(engine, "same", SELL, "100", "1")

    with pytest.raises(ValueError, match="already on the"):
        engine.submit(SYMBOL, "same", SELL, D("1"), price=D("101"))


# --- self-trade prevention -------------------------------------------------------------------------------


def test_an_order_never_trades_with_its_owners_resting_order(engine: MatchingEngine) -> None:
    engine.submit(SYMBOL, "mine", SELL, D("1"), price=D("100"), owner="me")

    result = engine.submit(SYMBOL, "also-mine", BUY, D("1"), price=D("100"), owner="me")

    assert (result.fills, result.canceled, result.reason) == ((), D("1"), "self-trade prevented")
    assert engine.book(SYMBOL).levels(SELL) == [(D("100"), D("1"))]


def test_self_trade_prevention_keeps_the_fills_before_the_own_order(engine: MatchingEngine) -> None:
    quote(engine, "theirs", SELL, "100", "1")
    engine.submit(SYMBOL, "mine", SELL, D("1"), price=D("101"), owner="me")

    result = engine.submit(SYMBOL, "taker", BUY, D("2"), price=D("101"), owner="me")

    assert [f.maker_order_id for f in result.fills] == ["theirs"]
    assert result.canceled == D("1")


def test_anonymous_orders_trade_with_each_other(engine: MatchingEngine) -> None:
    quote(engine, "someone", SELL, "100", "1")

    result = engine.submit(SYMBOL, "someone-else", BUY, D("1"), price=D("100"))

    assert result.filled == D("1")


# --- fees ------------------------------------------------------------------------------------------------


def test_fees_are_exact_fractions_of_the_fill_value(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "50000.1", "0.00012345")

    [fill] = engine.submit(SYMBOL, "bid", BUY, D("0.00012345"), price=D("50000.1")).fills

    assert fill.cost == D("6.172512345")
    assert fill.maker_fee == D("0.009876019752")
    assert fill.taker_fee == D("0.016048532097")


def test_the_fee_schedule_charges_by_liquidity() -> None:
    fees = FeeSchedule(maker=D("0.001"), taker=D("0.002"))

    assert fees.fee(D("1000"), Liquidity.MAKER) == D("1")
    assert fees.fee(D("1000"), Liquidity.TAKER) == D("2")


# --- cancel and preview ----------------------------------------------------------------------------------


def test_cancel_removes_a_resting_order(engine: MatchingEngine) -> None:
    quote(engine, "ask", SELL, "100", "1")

    removed = engine.cancel(SYMBOL, "ask")

    assert removed is not None
    assert removed.remaining == D("1")
    assert engine.book(SYMBOL).levels(SELL) == []


def test_cancel_of_an_order_not_on_the_book_returns_none(engine: MatchingEngine) -> None:
    assert engine.cancel(SYMBOL, "nothing") is None


def test_preview_shows_the_fills_without_changing_the_book(engine: MatchingEngine) -> None:
    quote(engine, "a", SELL, "100", "1")
    quote(engine, "b", SELL, "101", "1")

    preview = engine.preview(SYMBOL, BUY, D("1.5"))

    assert preview == [(D("100"), D("1")), (D("101"), D("0.5"))]
    assert engine.book(SYMBOL).levels(SELL) == [(D("100"), D("1")), (D("101"), D("1"))]


def test_an_unknown_symbol_has_no_book(engine: MatchingEngine) -> None:
    with pytest.raises(KeyError, match="ETH/USD"):
        engine.book("ETH/USD")


# --- properties over random order flow -------------------------------------------------------------------

submissions = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.integers(min_value=1, max_value=30).map(lambda n: D(n) / 10),
        st.one_of(st.none(), st.integers(min_value=95, max_value=105).map(D)),
        st.sampled_from(list(TimeInForce)[:3]),
        st.sampled_from([None, "alice", "bob"]),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(submissions)
def test_random_flow_conserves_quantity_and_never_leaves_a_crossed_book(
    flow: list[tuple[OrderSide, Decimal, Decimal | None, TimeInForce, str | None]],
) -> None:
    engine = MatchingEngine([SYMBOL], FeeSchedule(maker=D("0.0016"), taker=D("0.0026")))
    submitted = filled_twice = canceled = D(0)
    for n, (side, quantity, price, tif, owner) in enumerate(flow):
        result = engine.submit(SYMBOL, f"o{n}", side, quantity, price=price, time_in_force=tif, owner=owner)
        submitted += quantity
        canceled += result.canceled
        filled_twice += 2 * result.filled
        assert result.filled + result.resting + result.canceled == quantity
        for fill in result.fills:
            assert owner is None or fill.maker_owner != owner
            assert price is None or (fill.price <= price if side is BUY else fill.price >= price)
            assert fill.maker_fee == fill.cost * D("0.0016")
            assert fill.taker_fee == fill.cost * D("0.0026")
        book = engine.book(SYMBOL)
        bid, ask = book.best(BUY), book.best(SELL)
        assert bid is None or ask is None or bid < ask
    book = engine.book(SYMBOL)
    resting = sum((q for side in (BUY, SELL) for _, q in book.levels(side)), D(0))
    assert submitted == filled_twice + canceled + resting
    assert book.volume * 2 == filled_twice

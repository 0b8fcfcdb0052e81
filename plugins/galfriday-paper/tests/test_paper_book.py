"""The paper book: price-time priority over the market's orders and ours, one book per pair."""

from __future__ import annotations

from decimal import Decimal

import pytest
from galfriday_paper.book import Owner, PaperBook

from galfriday.domain.executions import OrderSide
from galfriday.errors import InvalidValueError

BUY, SELL = OrderSide.BUY, OrderSide.SELL
D = Decimal


def book_with_asks(*asks: tuple[str, str]) -> PaperBook:
    book = PaperBook("BTC/USD")
    for price, quantity in asks:
        book.rest_market(SELL, D(price), D(quantity))
    return book


def test_a_buy_takes_the_lowest_ask_first() -> None:
    book = book_with_asks(("101", "1"), ("100", "1"))

    [match] = book.match(BUY, D("1"), D("101"))

    assert (match.price, match.quantity) == (D("100"), D("1"))


def test_a_sell_takes_the_highest_bid_first() -> None:
    book = PaperBook("BTC/USD")
    book.rest_market(BUY, D("99"), D("1"))
    book.rest_market(BUY, D("98"), D("1"))

    [match] = book.match(SELL, D("1"), D("90"))

    assert match.price == D("99")


def test_at_one_price_the_oldest_order_fills_first() -> None:
    book = book_with_asks(("100", "1"))
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    [match] = book.match(BUY, D("1"), D("100"))

    assert (match.resting_owner, match.resting_done) == (Owner.MARKET, True)
    assert [o.order_id for o in book.orders(SELL)] == ["ours-1"]


def test_matching_stops_at_the_limit() -> None:
    book = book_with_asks(("100", "1"), ("102", "1"))

    matches = book.match(BUY, D("2"), D("101"))

    assert [(m.price, m.quantity) for m in matches] == [(D("100"), D("1"))]
    assert book.levels(SELL) == [(D("102"), D("1"))]


def test_a_market_order_walks_every_level() -> None:
    book = book_with_asks(("100", "1"), ("200", "1"))

    matches = book.match(BUY, D("1.5"), None)

    assert [(m.price, m.quantity) for m in matches] == [(D("100"), D("1")), (D("200"), D("0.5"))]


def test_a_partly_taken_order_keeps_its_place_with_what_is_left() -> None:
    book = book_with_asks(("100", "1"))
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    [match] = book.match(BUY, D("0.25"), D("100"))

    assert not match.resting_done
    assert [(o.owner, o.remaining) for o in book.orders(SELL)] == [
        (Owner.MARKET, D("0.75")),
        (Owner.OURS, D("1")),
    ]


def test_preview_reports_what_match_would_do_without_doing_it() -> None:
    book = book_with_asks(("100", "1"), ("101", "2"))

    preview = book.preview(BUY, D("2"), D("101"))

    assert preview == [(D("100"), D("1")), (D("101"), D("1"))]
    assert book.levels(SELL) == [(D("100"), D("1")), (D("101"), D("2"))]
    assert [(m.price, m.quantity) for m in book.match(BUY, D("2"), D("101"))] == preview


def test_levels_aggregate_each_price_best_first() -> None:
    book = PaperBook("BTC/USD")
    book.rest_market(BUY, D("98"), D("1"))
    book.rest_market(BUY, D("99"), D("1"))
    book.rest("ours-1", Owner.OURS, BUY, D("99"), D("0.5"))

    assert book.levels(BUY) == [(D("99"), D("1.5")), (D("98"), D("1"))]
    assert book.best(BUY) == (D("99"), D("1.5"))
    assert book.best(SELL) is None


def test_setting_a_market_level_keeps_the_market_order_s_place_in_the_queue() -> None:
    book = book_with_asks(("100", "1"))
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    book.set_market_level(SELL, D("100"), D("3"))

    assert [(o.owner, o.remaining) for o in book.orders(SELL)] == [
        (Owner.MARKET, D("3")),
        (Owner.OURS, D("1")),
    ]


def test_setting_a_market_level_to_zero_removes_the_market_s_orders_not_ours() -> None:
    book = book_with_asks(("100", "1"), ("100", "2"))
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    book.set_market_level(SELL, D("100"), D("0"))

    assert [o.order_id for o in book.orders(SELL)] == ["ours-1"]


def test_setting_a_new_market_level_queues_it_behind_ours() -> None:
    book = PaperBook("BTC/USD")
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    book.set_market_level(SELL, D("100"), D("2"))

    assert [o.owner for o in book.orders(SELL)] == [Owner.OURS, Owner.MARKET]


def test_removing_market_crossing_drops_stale_levels_on_the_other_side_only() -> None:
    book = PaperBook("BTC/USD")
    book.rest_market(BUY, D("101"), D("1"))
    book.rest_market(BUY, D("99"), D("1"))
    book.rest("ours-1", Owner.OURS, BUY, D("100"), D("1"))

    book.remove_market_crossing(SELL, D("100"))

    assert [(o.order_id, o.price) for o in book.orders(BUY)] == [("ours-1", D("100")), ("market-2", D("99"))]


def test_clearing_the_market_keeps_our_orders() -> None:
    book = book_with_asks(("100", "1"))
    book.rest("ours-1", Owner.OURS, BUY, D("90"), D("1"))

    book.clear_market()

    assert book.levels(SELL) == []
    assert [o.order_id for o in book.orders(BUY)] == ["ours-1"]


def test_a_removed_order_no_longer_trades() -> None:
    book = PaperBook("BTC/USD")
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    removed = book.remove("ours-1")

    assert removed is not None
    assert removed.order_id == "ours-1"
    assert book.match(BUY, D("1"), D("100")) == []
    assert book.remove("ours-1") is None


def test_an_id_already_resting_is_refused() -> None:
    book = PaperBook("BTC/USD")
    book.rest("ours-1", Owner.OURS, SELL, D("100"), D("1"))

    with pytest.raises(InvalidValueError, match="ours-1"):
        book.rest("ours-1", Owner.OURS, SELL, D("101"), D("1"))


@pytest.mark.parametrize(("price", "quantity"), [(D("0"), D("1")), (D("100"), D("0")), (D("NaN"), D("1"))])
def test_a_resting_order_needs_a_positive_price_and_quantity(price: Decimal, quantity: Decimal) -> None:
    with pytest.raises(InvalidValueError):
        PaperBook("BTC/USD").rest("x", Owner.OURS, BUY, price, quantity)

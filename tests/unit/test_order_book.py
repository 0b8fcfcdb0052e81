"""OrderBook: an exact level-2 book with snapshot, update, depth truncation and crossed-book detection."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.domain.order_book import OrderBook
from galfriday.errors import InvalidValueError

D = Decimal
RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"


def levels(*pairs: tuple[str, str]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(quantity)) for price, quantity in pairs]


def test_a_snapshot_sorts_bids_best_first_and_asks_best_first() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("99", "1"), ("100", "2")), levels(("102", "3"), ("101", "4")))
    assert book.bids() == levels(("100", "2"), ("99", "1"))
    assert book.asks() == levels(("101", "4"), ("102", "3"))
    assert book.best_bid() == (D("100"), D("2"))
    assert book.best_ask() == (D("101"), D("4"))


def test_a_snapshot_replaces_the_previous_book() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("99", "1")), levels(("101", "1")))
    book.apply_snapshot(levels(("98", "1")), [])
    assert book.bids() == levels(("98", "1"))
    assert book.asks() == []


def test_an_update_sets_a_level_quantity() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("99", "1")), levels(("101", "1")))
    book.apply_update(levels(("99", "5"), ("98", "2")), [])
    assert book.bids() == levels(("99", "5"), ("98", "2"))


def test_quantity_zero_removes_a_level_and_an_absent_one_is_ignored() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("99", "1"), ("98", "1")), [])
    book.apply_update(levels(("99", "0"), ("97", "0.00000000")), [])
    assert book.bids() == levels(("98", "1"))


def test_levels_of_one_message_apply_in_order() -> None:
    book = OrderBook("BTC/USD")
    book.apply_update([], levels(("101", "1"), ("101", "0"), ("101", "3")))
    assert book.asks() == levels(("101", "3"))


def test_equal_prices_written_differently_are_one_level() -> None:
    book = OrderBook("BTC/USD")
    book.apply_update([], levels(("29431.0", "1")))
    book.apply_update([], levels(("29431", "0")))
    assert book.is_empty


def test_each_side_is_truncated_to_the_depth_after_an_update() -> None:
    book = OrderBook("BTC/USD", depth=2)
    book.apply_snapshot(levels(("99", "1"), ("98", "1")), levels(("101", "1"), ("102", "1")))
    book.apply_update(levels(("99.5", "1")), levels(("100.5", "1")))
    assert [price for price, _ in book.bids()] == [D("99.5"), D("99")]
    assert [price for price, _ in book.asks()] == [D("100.5"), D("101")]


def test_a_level_removed_after_truncation_is_not_resurrected() -> None:
    book = OrderBook("BTC/USD", depth=2)
    book.apply_snapshot(levels(("99", "1"), ("98", "1")), [])
    book.apply_update(levels(("100", "1")), [])
    book.apply_update(levels(("100", "0")), [])
    assert book.bids() == levels(("99", "1"))


def test_unbounded_depth_keeps_everything() -> None:
    book = OrderBook("BTC/USD", depth=None)
    book.apply_snapshot(levels(*((str(price), "1") for price in range(1, 50))), [])
    assert len(book.bids()) == 49


def test_top_levels_by_count() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("97", "1"), ("98", "1"), ("99", "1")), levels(("101", "1"), ("102", "1")))
    assert [price for price, _ in book.bids(2)] == [D("99"), D("98")]
    assert [price for price, _ in book.bids(10)] == [D("99"), D("98"), D("97")]
    assert [price for price, _ in book.asks(1)] == [D("101")]
    assert book.bids(0) == []
    assert book.asks(0) == []


def test_an_empty_book_has_no_best_levels_and_is_not_crossed() -> None:
    book = OrderBook("BTC/USD")
    assert book.best_bid() is None
    assert book.best_ask() is None
    assert not book.is_crossed
    assert book.is_empty


@pytest.mark.parametrize(
    ("bid", "ask", "crossed"), [("100", "101", False), ("101", "101", True), ("102", "101", True)]
)
def test_a_bid_at_or_above_the_ask_is_crossed(bid: str, ask: str, crossed: bool) -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels((bid, "1")), levels((ask, "1")))
    assert book.is_crossed is crossed


def test_clear_empties_both_sides() -> None:
    book = OrderBook("BTC/USD")
    book.apply_snapshot(levels(("99", "1")), levels(("101", "1")))
    book.clear()
    assert book.is_empty


@pytest.mark.parametrize(
    ("price", "quantity", "field"),
    [
        (D("0"), D("1"), "price"),
        (D("-1"), D("1"), "price"),
        (D("NaN"), D("1"), "price"),
        (1.5, D("1"), "price"),
        (D("1"), D("-1"), "quantity"),
        (D("1"), D("Infinity"), "quantity"),
        (D("1"), 1, "quantity"),
    ],
)
def test_invalid_levels_are_refused(price: object, quantity: object, field: str) -> None:
    with pytest.raises(InvalidValueError, match=field):
        OrderBook("BTC/USD").apply_update([(price, quantity)], [])  # type: ignore[list-item]


@pytest.mark.parametrize("depth", [0, -5, True])
def test_depth_must_be_positive(depth: object) -> None:
    with pytest.raises(InvalidValueError, match="depth"):
        OrderBook("BTC/USD", depth=depth)  # type: ignore[arg-type]


def test_the_recorded_kraken_stream_never_crosses_and_stays_within_depth() -> None:
    recorded = json.loads(RECORDED.read_text(), parse_float=Decimal)
    book = OrderBook("BTC/USD", depth=10)
    for message in [recorded["init"], *recorded["updates"]]:
        for data in message["data"]:
            bids = [(level["price"], level["qty"]) for level in data["bids"]]
            asks = [(level["price"], level["qty"]) for level in data["asks"]]
            if message["type"] == "snapshot":
                book.apply_snapshot(bids, asks)
            else:
                book.apply_update(bids, asks)
            assert not book.is_crossed
            assert len(book.bids()) <= 10
            assert len(book.asks()) <= 10


prices = st.integers(min_value=1, max_value=40).map(D)
quantities = st.integers(min_value=0, max_value=3).map(D)
updates = st.lists(st.tuples(prices, quantities), max_size=8)


@given(st.lists(st.tuples(updates, updates), max_size=20), st.integers(min_value=1, max_value=6))
def test_matches_a_naive_model_of_the_book(messages: list, depth: int) -> None:  # type: ignore[type-arg]
    book = OrderBook("BTC/USD", depth=depth)
    model_bids: dict[Decimal, Decimal] = {}
    model_asks: dict[Decimal, Decimal] = {}
    for bids, asks in messages:
        book.apply_update(bids, asks)
        for model, side in ((model_bids, bids), (model_asks, asks)):
            for price, quantity in side:
                if quantity == 0:
                    model.pop(price, None)
                else:
                    model[price] = quantity
        for price in sorted(model_bids, reverse=True)[depth:]:
            del model_bids[price]
        for price in sorted(model_asks)[depth:]:
            del model_asks[price]
        assert book.bids() == sorted(model_bids.items(), reverse=True)
        assert book.asks() == sorted(model_asks.items())

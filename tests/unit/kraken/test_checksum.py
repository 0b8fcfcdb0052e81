"""Kraken v2 book checksum: the spec's verified vectors and the recorded BTC/USD stream."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from galfriday.adapters.kraken.checksum import BookChecksum, book_checksum, checksum_payload, level_digits
from galfriday.domain.order_book import OrderBook

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"

# Vector 2 of the spec: the book channel's documented MATIC/USD snapshot (price dp 4, qty dp 8).
MATIC_SNAPSHOT = json.loads(
    '{"bids": [{"price": 0.5666, "qty": 4831.75496356}, {"price": 0.5665, "qty": 6658.22734739},'
    ' {"price": 0.5664, "qty": 18724.91513344}, {"price": 0.5663, "qty": 11563.92544914},'
    ' {"price": 0.5662, "qty": 14006.65365711}, {"price": 0.5661, "qty": 17454.85679807},'
    ' {"price": 0.566, "qty": 18097.1547}, {"price": 0.5659, "qty": 33644.89175666},'
    ' {"price": 0.5658, "qty": 148.3464}, {"price": 0.5657, "qty": 606.70854372}],'
    ' "asks": [{"price": 0.5668, "qty": 4410.79769741}, {"price": 0.5669, "qty": 4655.40412487},'
    ' {"price": 0.567, "qty": 49844.89424998}, {"price": 0.5671, "qty": 24306.41678},'
    ' {"price": 0.5672, "qty": 29783.25223475}, {"price": 0.5673, "qty": 57234.71239278},'
    ' {"price": 0.5674, "qty": 45065.04744}, {"price": 0.5675, "qty": 5912.76380354},'
    ' {"price": 0.5676, "qty": 42514.92434778}, {"price": 0.5677, "qty": 36304.0847022}]}',
    parse_float=Decimal,
)


def _levels(side: list[dict[str, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    return [(level["price"], level["qty"]) for level in side]


def _recorded() -> Any:
    return json.loads(FIXTURE.read_text(), parse_float=Decimal)


class TestLevelDigits:
    def test_pads_to_the_precision_then_drops_the_point_and_leading_zeros(self) -> None:
        assert level_digits(Decimal("0.566"), 4) == "5660"
        assert level_digits(Decimal("18097.1547"), 8) == "1809715470000"
        assert level_digits(Decimal("4.0"), 8) == "400000000"
        assert level_digits(Decimal("0.001"), 8) == "100000"
        assert level_digits(Decimal("29431.0"), 1) == "294310"

    def test_integral_values_and_exponent_notation(self) -> None:
        assert level_digits(Decimal("500"), 2) == "50000"
        assert level_digits(Decimal("1E-8"), 8) == "1"
        assert level_digits(Decimal("1E+2"), 1) == "1000"

    def test_zero_is_the_empty_string(self) -> None:
        assert level_digits(Decimal("0.00000000"), 8) == ""

    def test_trailing_zeros_beyond_the_precision_are_harmless(self) -> None:
        assert level_digits(Decimal("0.5660000"), 4) == "5660"

    def test_more_decimals_than_the_precision_is_refused(self) -> None:
        with pytest.raises(ValueError, match="more than 4 decimals"):
            level_digits(Decimal("0.56601"), 4)

    @pytest.mark.parametrize("value", ["NaN", "Infinity", "-1"])
    def test_non_finite_or_negative_is_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match="non-negative"):
            level_digits(Decimal(value), 8)


class TestDocumentedVector:
    def test_matic_snapshot(self) -> None:
        asks, bids = _levels(MATIC_SNAPSHOT["asks"]), _levels(MATIC_SNAPSHOT["bids"])
        assert book_checksum(asks, bids, 4, 8) == 2439117997

    def test_matic_after_the_documented_update(self) -> None:
        bids = dict(_levels(MATIC_SNAPSHOT["bids"]))
        bids[Decimal("0.5657")] = Decimal("1098.3947558")
        assert book_checksum(_levels(MATIC_SNAPSHOT["asks"]), bids.items(), 4, 8) == 2114181697

    def test_the_wrong_precision_gives_another_checksum(self) -> None:
        asks, bids = _levels(MATIC_SNAPSHOT["asks"]), _levels(MATIC_SNAPSHOT["bids"])
        assert book_checksum(asks, bids, 5, 8) == 1472384375

    def test_level_order_of_the_input_does_not_matter(self) -> None:
        asks, bids = _levels(MATIC_SNAPSHOT["asks"]), _levels(MATIC_SNAPSHOT["bids"])
        assert book_checksum(reversed(asks), sorted(bids), 4, 8) == 2439117997

    def test_only_the_best_ten_levels_count(self) -> None:
        asks = [*_levels(MATIC_SNAPSHOT["asks"]), (Decimal("0.9"), Decimal("1"))]
        bids = [*_levels(MATIC_SNAPSHOT["bids"]), (Decimal("0.1"), Decimal("1"))]
        assert book_checksum(asks, bids, 4, 8) == 2439117997

    def test_payload_lists_asks_ascending_then_bids_descending(self) -> None:
        asks = [(Decimal("2.1"), Decimal("1")), (Decimal("2.0"), Decimal("3"))]
        bids = [(Decimal("1.8"), Decimal("2")), (Decimal("1.9"), Decimal("0.5"))]
        assert checksum_payload(asks, bids, 1, 1) == "20" + "30" + "21" + "10" + "19" + "5" + "18" + "20"

    def test_empty_book_is_the_crc_of_nothing(self) -> None:
        assert book_checksum([], [], 1, 8) == 0


def _apply(side: dict[Decimal, Decimal], levels: list[dict[str, Decimal]], best_first: bool) -> None:
    for level in levels:
        if level["qty"] == 0:
            side.pop(level["price"], None)
        else:
            side[level["price"]] = level["qty"]
    for price in sorted(side, reverse=best_first)[10:]:
        del side[price]


class TestRecordedStream:
    """Vector 4: a real BTC/USD depth-10 stream (price dp 1, qty dp 8); every message must verify."""

    def test_every_message_verifies_after_apply_and_truncate(self) -> None:
        recorded = _recorded()
        init = recorded["init"]["data"][0]
        asks, bids = dict(_levels(init["asks"])), dict(_levels(init["bids"]))
        assert book_checksum(asks.items(), bids.items(), 1, 8) == init["checksum"] == 2785033588
        assert len(recorded["updates"]) == 509
        for message in recorded["updates"]:
            for data in message["data"]:
                _apply(asks, data["asks"], best_first=False)
                _apply(bids, data["bids"], best_first=True)
                assert book_checksum(asks.items(), bids.items(), 1, 8) == data["checksum"]

    def test_the_sdk_negative_vector_is_flagged(self) -> None:
        recorded = _recorded()
        init = recorded["init"]["data"][0]
        asks, bids = dict(_levels(init["asks"])), dict(_levels(init["bids"]))
        for message in recorded["updates"]:
            for data in message["data"]:
                _apply(asks, data["asks"], best_first=False)
                _apply(bids, data["bids"], best_first=True)
        _apply(bids, [{"price": Decimal("29430.3"), "qty": Decimal("1.69289565")}], best_first=True)
        assert book_checksum(asks.items(), bids.items(), 1, 8) != 2438868880


class TestBookChecksum:
    """The cached, best-first form used on every book message gives the same numbers."""

    def test_matic_snapshot_best_first(self) -> None:
        asks = sorted(_levels(MATIC_SNAPSHOT["asks"]))
        bids = sorted(_levels(MATIC_SNAPSHOT["bids"]), reverse=True)
        assert BookChecksum(4, 8)(asks, bids) == 2439117997

    def test_only_the_first_ten_of_each_side_count(self) -> None:
        asks = [*sorted(_levels(MATIC_SNAPSHOT["asks"])), (Decimal("0.9"), Decimal("1"))]
        bids = [*sorted(_levels(MATIC_SNAPSHOT["bids"]), reverse=True), (Decimal("0.1"), Decimal("1"))]
        assert BookChecksum(4, 8)(asks, bids) == 2439117997

    def test_a_full_cache_starts_over_without_changing_results(self) -> None:
        checksum = BookChecksum(4, 8, cache_size=3)
        asks = sorted(_levels(MATIC_SNAPSHOT["asks"]))
        bids = sorted(_levels(MATIC_SNAPSHOT["bids"]), reverse=True)
        assert [checksum(asks, bids) for _ in range(3)] == [2439117997] * 3

    def test_every_recorded_message_verifies_on_a_maintained_book(self) -> None:
        recorded = _recorded()
        book = OrderBook("BTC/USD", depth=10)
        checksum = BookChecksum(1, 8)
        for message in [recorded["init"], *recorded["updates"]]:
            for data in message["data"]:
                bids, asks = _levels(data["bids"]), _levels(data["asks"])
                if message["type"] == "snapshot":
                    book.apply_snapshot(bids, asks)
                else:
                    book.apply_update(bids, asks)
                assert checksum(book.asks(10), book.bids(10)) == data["checksum"]


def test_a_size_of_thousands_of_digits_is_formatted_not_refused_by_the_int_string_limit() -> None:
    # hypothesis found this: int() of a 5,000-digit Decimal raised ValueError out of the pipeline
    assert level_digits(Decimal("1E+5000"), 1) == "1" + "0" * 5001

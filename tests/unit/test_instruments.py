"""Specification of assets, symbols and trading pairs."""

from decimal import Decimal

import pytest

from galfriday.domain.instruments import Asset, Symbol, TradingPair, asset_code, parse_symbol
from galfriday.errors import InvalidValueError

# --- asset codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["BTC", "USD", "DOGE", "ETH2.S", "1INCH", "USDT"])
def test_upper_case_asset_codes_are_accepted(code: str) -> None:
    assert asset_code(code) == code
    assert Asset(code).code == code


@pytest.mark.parametrize("code", ["btc", "", ".ETH", "BT C", "BTC-USD", "A" * 17, "BTC\n", None, 42])
def test_malformed_asset_codes_are_refused_with_the_expected_form(code: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        asset_code(code)

    assert caught.value.field == "asset"
    assert caught.value.value == code
    assert "upper-case code" in caught.value.expected


def test_an_asset_has_eight_decimals_unless_told_otherwise() -> None:
    assert Asset("BTC").decimals == 8
    assert Asset("USD", decimals=2).decimals == 2


# --- symbols --------------------------------------------------------------------------------------------


def test_a_symbol_parses_into_base_and_quote() -> None:
    symbol = Symbol.parse("BTC/USD")

    assert symbol == Symbol("BTC", "USD")
    assert (symbol.base, symbol.quote) == ("BTC", "USD")


def test_a_symbol_prints_as_base_slash_quote() -> None:
    assert str(Symbol("ETH2.S", "ETH")) == "ETH2.S/ETH"


@pytest.mark.parametrize("text", ["BTCUSD", "BTC/USD/EUR", "BTC-USD", "", "/", "BTC/", "/USD"])
def test_a_symbol_without_exactly_one_slash_between_two_codes_is_refused(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Symbol.parse(text)

    assert caught.value.field == "symbol"
    assert caught.value.value == text
    assert "BASE/QUOTE" in caught.value.expected
    assert "BTC/USD" in str(caught.value)


@pytest.mark.parametrize("text", ["btc/usd", "BTC/usd", "BTC /USD", "BTC/USD\n", "XBT/ZUSD!"])
def test_a_symbol_with_a_malformed_code_is_refused_naming_the_whole_symbol(text: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Symbol.parse(text)

    assert caught.value.field == "symbol"
    assert caught.value.value == text
    assert "BASE/QUOTE" in caught.value.expected


@pytest.mark.parametrize("value", [None, 42, ("BTC", "USD")])
def test_a_symbol_that_is_not_a_string_is_refused(value: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        Symbol.parse(value)  # type: ignore[arg-type]

    assert caught.value.value == value


def test_parse_symbol_returns_the_canonical_text() -> None:
    assert parse_symbol("BTC/USD") == "BTC/USD"


# --- trading pairs --------------------------------------------------------------------------------------


def _pair(**overrides: object) -> TradingPair:
    values: dict[str, object] = {"symbol": "BTC/USD", "price_precision": 1, "quantity_precision": 8}
    values.update(overrides)
    return TradingPair(**values)  # type: ignore[arg-type]


def test_a_pair_knows_its_base_and_quote() -> None:
    pair = _pair(symbol="ETH/EUR")

    assert (pair.base, pair.quote) == ("ETH", "EUR")


def test_a_pair_with_a_bad_symbol_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="BASE/QUOTE"):
        _pair(symbol="BTCUSD")


def test_tick_and_lot_are_one_unit_of_the_last_decimal_place() -> None:
    pair = _pair(price_precision=2, quantity_precision=8)

    assert pair.tick == Decimal("0.01")
    assert pair.lot == Decimal("0.00000001")


def test_a_precision_of_zero_means_whole_units() -> None:
    assert _pair(price_precision=0).tick == Decimal(1)


def test_prices_round_half_even_to_the_tick() -> None:
    pair = _pair(price_precision=1)

    assert pair.round_price(Decimal("100.25")) == Decimal("100.2")
    assert pair.round_price(Decimal("100.35")) == Decimal("100.4")
    assert pair.round_price(Decimal("100.26")) == Decimal("100.3")


def test_a_rounded_price_has_exactly_the_pair_precision() -> None:
    assert str(_pair(price_precision=2).round_price(Decimal("7"))) == "7.00"


def test_quantities_round_down_so_an_order_never_exceeds_what_was_meant() -> None:
    pair = _pair(quantity_precision=4)

    assert pair.round_quantity(Decimal("0.12349")) == Decimal("0.1234")
    assert pair.round_quantity(Decimal("0.99999")) == Decimal("0.9999")


def test_a_price_on_the_tick_passes_the_check_unchanged() -> None:
    price = Decimal("100.50")

    assert _pair(price_precision=2).check_price(price) is price


def test_a_price_with_trailing_zeros_beyond_the_precision_passes_the_check() -> None:
    assert _pair(price_precision=1).check_price(Decimal("100.500")) == Decimal("100.5")


def test_a_price_finer_than_the_tick_is_refused_naming_the_precision_and_symbol() -> None:
    with pytest.raises(InvalidValueError) as caught:
        _pair(price_precision=1).check_price(Decimal("100.25"))

    assert caught.value.field == "price"
    assert caught.value.value == Decimal("100.25")
    assert "at most 1 decimals for BTC/USD" in caught.value.expected


def test_a_quantity_finer_than_the_lot_is_refused() -> None:
    with pytest.raises(InvalidValueError) as caught:
        _pair(quantity_precision=2).check_quantity(Decimal("0.125"))

    assert caught.value.field == "quantity"
    assert "at most 2 decimals" in caught.value.expected


def test_a_quantity_below_the_minimum_is_refused() -> None:
    pair = _pair(min_quantity="0.001")

    with pytest.raises(InvalidValueError, match=r"at least 0\.001 for BTC/USD"):
        pair.check_quantity(Decimal("0.0009"))


def test_a_quantity_at_the_minimum_passes_the_check() -> None:
    assert _pair(min_quantity="0.001").check_quantity(Decimal("0.001")) == Decimal("0.001")


def test_the_minimum_quantity_must_be_an_exact_non_negative_amount() -> None:
    with pytest.raises(InvalidValueError):
        _pair(min_quantity="-1")
    with pytest.raises(InvalidValueError):
        _pair(min_quantity=0.001)

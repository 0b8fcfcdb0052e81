"""Specification of exact amounts: Decimals only, never floats, always finite."""

from decimal import Decimal

import pytest

from galfriday.domain.amounts import ZERO, amount, exact, non_negative, optional_amount, positive
from galfriday.errors import FloatAmountError, InvalidValueError


def test_a_float_is_refused_with_an_error_naming_the_field_and_the_value() -> None:
    with pytest.raises(FloatAmountError) as caught:
        exact("price", 0.1)

    assert caught.value.field == "price"
    assert caught.value.value == 0.1
    assert "price" in str(caught.value)
    assert "0.1" in str(caught.value)
    assert "float" in str(caught.value)


def test_a_float_amount_error_is_an_invalid_value_error_and_a_value_error() -> None:
    with pytest.raises(FloatAmountError) as caught:
        exact("quantity", 1.0)

    assert isinstance(caught.value, InvalidValueError)
    assert isinstance(caught.value, ValueError)


def test_a_whole_float_is_refused_too() -> None:
    with pytest.raises(FloatAmountError):
        exact("quantity", 2.0)


def test_an_int_becomes_an_equal_decimal() -> None:
    result = exact("quantity", 3)

    assert isinstance(result, Decimal)
    assert result == Decimal(3)


@pytest.mark.parametrize("text", ["0.015", "-2.5", "100", "1E-8", "12345678901234567890.12345678"])
def test_a_decimal_string_becomes_the_decimal_it_spells(text: str) -> None:
    assert exact("price", text) == Decimal(text)


def test_a_decimal_is_returned_unchanged_with_its_exponent() -> None:
    result = exact("price", Decimal("0.10"))

    assert str(result) == "0.10"
    assert result.as_tuple().exponent == -2


def test_a_decimal_string_keeps_its_trailing_zeros() -> None:
    assert str(exact("price", "1.500")) == "1.500"


def test_a_string_that_is_not_a_number_is_refused_with_the_expected_form() -> None:
    with pytest.raises(InvalidValueError) as caught:
        exact("price", "ten")

    assert caught.value.field == "price"
    assert caught.value.value == "ten"
    assert "decimal number" in caught.value.expected


@pytest.mark.parametrize(
    "value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]
)
def test_a_non_finite_decimal_is_refused(value: Decimal) -> None:
    with pytest.raises(InvalidValueError, match="finite"):
        exact("price", value)


@pytest.mark.parametrize("text", ["NaN", "nan", "Infinity", "-inf"])
def test_a_non_finite_string_is_refused(text: str) -> None:
    with pytest.raises(InvalidValueError, match="finite"):
        exact("price", text)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_float_is_refused_as_a_float(value: float) -> None:
    with pytest.raises(FloatAmountError):
        exact("price", value)


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_an_amount(value: bool) -> None:
    with pytest.raises(InvalidValueError):
        exact("quantity", value)


@pytest.mark.parametrize("value", [None, [1], object()])
def test_other_types_are_refused(value: object) -> None:
    with pytest.raises(InvalidValueError) as caught:
        exact("quantity", value)

    assert caught.value.value is value


def test_positive_refuses_zero() -> None:
    with pytest.raises(InvalidValueError, match="greater than zero"):
        positive("quantity", 0)


def test_positive_refuses_a_negative_amount() -> None:
    with pytest.raises(InvalidValueError):
        positive("quantity", "-0.01")


def test_positive_accepts_the_smallest_positive_amount() -> None:
    assert positive("quantity", "0.00000001") == Decimal("0.00000001")


def test_non_negative_accepts_zero_and_refuses_a_negative_amount() -> None:
    assert non_negative("fee", 0) == ZERO
    with pytest.raises(InvalidValueError, match="zero or more"):
        non_negative("fee", "-0.00000001")


def test_non_negative_refuses_a_float_as_a_float() -> None:
    with pytest.raises(FloatAmountError):
        non_negative("fee", 0.0)


def test_the_amount_converter_names_its_field_in_errors() -> None:
    convert = amount("limit_price", positive)

    assert convert("5") == Decimal(5)
    with pytest.raises(InvalidValueError) as caught:
        convert(-1)
    assert caught.value.field == "limit_price"


def test_the_optional_amount_converter_passes_none_through() -> None:
    convert = optional_amount("limit_price")

    assert convert(None) is None
    assert convert("1.5") == Decimal("1.5")
    with pytest.raises(FloatAmountError):
        convert(1.5)

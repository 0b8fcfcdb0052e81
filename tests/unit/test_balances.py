"""Specification of balances: total, available, and what open orders reserve."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from galfriday.domain.balances import Balance
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_reserved_is_what_the_total_holds_beyond_the_available() -> None:
    balance = Balance(asset="USD", total="1000.25", available="750.5", updated_at=T0)

    assert balance.reserved == Decimal("249.75")


def test_available_may_equal_the_total_when_nothing_is_reserved() -> None:
    balance = Balance(asset="BTC", total="1.5", available="1.5", updated_at=T0)

    assert balance.reserved == 0


def test_an_empty_balance_is_allowed() -> None:
    assert Balance(asset="BTC", total=0, available=0, updated_at=T0).reserved == 0


def test_available_above_the_total_is_refused_naming_both() -> None:
    with pytest.raises(InvalidValueError) as caught:
        Balance(asset="USD", total="100", available="100.01", updated_at=T0)

    assert caught.value.field == "available"
    assert caught.value.value == Decimal("100.01")
    assert caught.value.expected == "at most the total 100 of USD"


@pytest.mark.parametrize("field", ["total", "available"])
def test_a_negative_amount_is_refused(field: str) -> None:
    values = {"total": "1", "available": "1", field: "-1"}

    with pytest.raises(InvalidValueError) as caught:
        Balance(asset="USD", updated_at=T0, **values)

    assert caught.value.field == field


@pytest.mark.parametrize("field", ["total", "available"])
def test_a_float_amount_is_refused(field: str) -> None:
    values: dict[str, object] = {"total": "1", "available": "1", field: 1.0}

    with pytest.raises(FloatAmountError):
        Balance(asset="USD", updated_at=T0, **values)


def test_amounts_keep_their_exact_decimal_form() -> None:
    balance = Balance(asset="USD", total="10.10", available="5.00", updated_at=T0)

    assert str(balance.total) == "10.10"
    assert str(balance.available) == "5.00"


def test_a_malformed_asset_code_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="upper-case code"):
        Balance(asset="usd", total=1, available=1, updated_at=T0)


def test_a_naive_update_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        Balance(asset="USD", total=1, available=1, updated_at=datetime(2024, 1, 1))


def test_the_update_time_is_normalised_to_utc() -> None:
    one_am_in_paris = datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))

    balance = Balance(asset="USD", total=1, available=1, updated_at=one_am_in_paris)

    assert balance.updated_at == T0
    assert balance.updated_at.tzinfo is UTC


def test_balances_are_equal_values() -> None:
    assert Balance(asset="USD", total=1, available=1, updated_at=T0) == Balance(
        asset="USD", total=Decimal(1), available="1", updated_at=T0
    )

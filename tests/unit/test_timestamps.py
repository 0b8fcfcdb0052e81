"""Specification of instants: timezone-aware, and always UTC once inside the domain."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from galfriday.domain.timestamps import EPOCH, optional_utc, to_utc, utc
from galfriday.errors import InvalidValueError, NaiveDatetimeError


def test_a_naive_datetime_is_refused() -> None:
    naive = datetime(2024, 1, 1, 12, 0)

    with pytest.raises(NaiveDatetimeError) as caught:
        utc("created_at", naive)

    assert caught.value.field == "created_at"
    assert caught.value.value == naive
    assert "naive" in str(caught.value)


def test_a_naive_datetime_error_is_an_invalid_value_error() -> None:
    with pytest.raises(InvalidValueError):
        utc("created_at", datetime(2024, 1, 1))


def test_a_utc_datetime_is_kept_as_is() -> None:
    instant = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)

    assert utc("at", instant) == instant
    assert utc("at", instant).tzinfo is UTC


def test_another_zone_is_normalised_to_utc_keeping_the_instant() -> None:
    tokyo = timezone(timedelta(hours=9))
    local = datetime(2024, 1, 1, 9, 0, tzinfo=tokyo)

    result = utc("at", local)

    assert result.tzinfo is UTC
    assert result == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert (result.hour, result.day) == (0, 1)


def test_a_negative_offset_is_normalised_across_midnight() -> None:
    new_york = timezone(timedelta(hours=-5))

    result = utc("at", datetime(2024, 1, 1, 22, 30, tzinfo=new_york))

    assert result == datetime(2024, 1, 2, 3, 30, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_microseconds_survive_normalisation() -> None:
    result = utc("at", datetime(2024, 1, 1, 1, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))))

    assert result.microsecond == 123456


@pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z", 1704067200, None])
def test_a_value_that_is_not_a_datetime_is_refused(value: object) -> None:
    with pytest.raises(InvalidValueError):
        utc("at", value)


def test_the_converter_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveDatetimeError):
        to_utc(datetime(2024, 1, 1))


def test_the_optional_converter_passes_none_through_and_normalises_the_rest() -> None:
    assert optional_utc(None) is None
    assert optional_utc(datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == datetime(
        2024, 1, 1, tzinfo=UTC
    )


def test_the_epoch_is_aware_utc() -> None:
    assert EPOCH.tzinfo is UTC
    assert EPOCH.timestamp() == 0

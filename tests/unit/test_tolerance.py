"""Specification of the tolerance policy: isclose-style bounds, per asset and per pair with a default."""

from __future__ import annotations

from decimal import Decimal

import pytest

from galfriday.domain.tolerance import DEFAULT_TOLERANCE, Tolerance, TolerancePolicy
from galfriday.errors import FloatAmountError, InvalidValueError

D = Decimal


def test_a_drift_within_the_absolute_bound_is_admitted() -> None:
    assert Tolerance(max_absolute=D("0.01")).admits(D("0.01"), D("0.5"))


def test_a_drift_within_the_relative_bound_is_admitted() -> None:
    assert Tolerance(max_relative=D("0.001")).admits(D(5), D("0.001"))


def test_a_drift_beyond_both_bounds_is_not_admitted() -> None:
    assert not Tolerance(max_absolute=D("0.01"), max_relative=D("0.001")).admits(D("0.02"), D("0.002"))


def test_relative_only_ignores_the_absolute_bound() -> None:
    tolerance = Tolerance(max_absolute=D(100), max_relative=D("0.001"))
    assert not tolerance.admits(D(1), D("0.01"), relative_only=True)


def test_negative_bounds_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="max_absolute"):
        Tolerance(max_absolute=D(-1))


def test_float_bounds_are_refused() -> None:
    with pytest.raises(FloatAmountError):
        Tolerance(max_relative=0.1)


def test_the_policy_picks_the_asset_then_falls_back_to_the_default() -> None:
    btc = Tolerance(max_absolute=D("0.0001"))
    policy = TolerancePolicy(per_asset={"BTC": btc})
    assert policy.for_asset("BTC") == btc
    assert policy.for_asset("ETH") == DEFAULT_TOLERANCE


def test_the_policy_picks_the_pair_then_falls_back_to_the_default() -> None:
    pair = Tolerance(max_relative=D("0.01"))
    policy = TolerancePolicy(per_pair={"BTC/USD": pair})
    assert policy.for_pair("BTC/USD") == pair
    assert policy.for_pair("ETH/USD") == DEFAULT_TOLERANCE


def test_a_table_sorts_keys_into_default_assets_and_pairs() -> None:
    policy = TolerancePolicy.from_table(
        {
            "default": {"relative": "0.002"},
            "BTC": {"absolute": "0.0001"},
            "ETH/USD": {"absolute": 1, "relative": 0.01},
        },
        halt_on_manual_review=False,
    )
    assert policy.default == Tolerance(max_relative=D("0.002"))
    assert policy.per_asset == {"BTC": Tolerance(max_absolute=D("0.0001"))}
    assert policy.per_pair == {"ETH/USD": Tolerance(max_absolute=D(1), max_relative=D("0.01"))}
    assert policy.halt_on_manual_review is False


def test_a_table_float_is_read_as_the_decimal_written() -> None:
    policy = TolerancePolicy.from_table({"default": {"relative": 0.1}})
    assert policy.default.max_relative == D("0.1")


def test_a_table_key_that_is_neither_asset_nor_pair_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="'btc'"):
        TolerancePolicy.from_table({"btc": {"absolute": "1"}})


def test_a_table_with_an_unknown_bound_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match=r"tolerances\.BTC\.percent"):
        TolerancePolicy.from_table({"BTC": {"percent": "1"}})

"""AddOrder form fields from domain orders; cl_ord_id and userref checked before anything is sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from galfriday.adapters.kraken.naming import KrakenNames
from galfriday.adapters.kraken.rest_orders import (
    USERREF_MAX,
    USERREF_MIN,
    add_order_params,
    check_cl_ord_id,
    check_userref,
    wire_decimal,
)
from galfriday.domain.orders import Order
from galfriday.errors import InvalidOrderError, InvalidValueError

SAMPLES: dict[str, Any] = json.loads((Path(__file__).parent / "kraken_rest_samples.json").read_text())
NAMES = KrakenNames.from_responses(
    SAMPLES["assets_constructed"]["result"], SAMPLES["asset_pairs_constructed"]["result"]
)
AT = datetime(2023, 7, 6, 18, 0, tzinfo=UTC)


def order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": "gf-000001",
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "limit",
        "quantity": Decimal("1.25"),
        "limit_price": Decimal("37500"),
        "at": AT,
    }
    fields.update(changes)
    return Order.create(**fields)


def test_a_limit_order_becomes_kraken_s_form_fields() -> None:
    assert add_order_params(order(), NAMES) == [
        ("pair", "XBTUSD"),
        ("type", "buy"),
        ("ordertype", "limit"),
        ("volume", "1.25"),
        ("price", "37500"),
        ("timeinforce", "GTC"),
        ("cl_ord_id", "gf-000001"),
    ]


def test_a_market_ioc_order_has_no_price_and_may_be_validated_only() -> None:
    params = dict(
        add_order_params(
            order(order_type="market", limit_price=None, time_in_force="ioc", side="sell"),
            NAMES,
            validate=True,
        )
    )
    assert "price" not in params
    assert params["timeinforce"] == "IOC"
    assert params["type"] == "sell"
    assert params["validate"] == "true"


def test_doge_orders_use_kraken_s_pair_name() -> None:
    params = dict(add_order_params(order(symbol="DOGE/USD", quantity=50, limit_price="0.0712345"), NAMES))
    assert params["pair"] == "XDGUSD"


def test_tiny_amounts_are_sent_as_plain_digits() -> None:
    assert wire_decimal(Decimal("1E-8")) == "0.00000001"
    assert wire_decimal(Decimal("30010.00000")) == "30010.00000"


@pytest.mark.parametrize(
    "value",
    ["6d1b345e-2821-40e2-ad83-4ecb18a06876", "da8e4ad59b78481c93e589746b0cf91f", "arb-20240509-00010"],
)
def test_kraken_s_three_cl_ord_id_formats_are_accepted(value: str) -> None:
    assert check_cl_ord_id(value) == value


@pytest.mark.parametrize("value", ["", "x" * 19, "has space", "naïve"])
def test_other_client_order_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidValueError):
        check_cl_ord_id(value)


def test_an_order_kraken_would_refuse_is_refused_before_sending() -> None:
    with pytest.raises(InvalidOrderError, match="client_order_id"):
        add_order_params(order(client_order_id="an id that is far too long for kraken"), NAMES)
    with pytest.raises(InvalidOrderError, match="decimals"):
        add_order_params(order(limit_price=Decimal("37500.05")), NAMES)
    with pytest.raises(InvalidOrderError, match="at least"):
        add_order_params(order(quantity=Decimal("0.00001")), NAMES)
    with pytest.raises(InvalidOrderError, match="SHIB/USD"):
        add_order_params(order(symbol="SHIB/USD"), NAMES)
    with pytest.raises(InvalidOrderError, match="fok"):
        add_order_params(order(time_in_force="fok"), NAMES)


@pytest.mark.parametrize("value", [0, 1, -1, USERREF_MIN, USERREF_MAX])
def test_userref_within_signed_32_bits_is_accepted(value: int) -> None:
    assert check_userref(value) == value


@pytest.mark.parametrize("value", [USERREF_MAX + 1, USERREF_MIN - 1, 2**40, True])
def test_userref_outside_signed_32_bits_is_refused(value: int) -> None:
    with pytest.raises(InvalidValueError, match="userref"):
        check_userref(value)

"""Kraken REST results → domain values, from the documented samples (spec B.2, B.3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from galfriday.adapters.kraken.naming import KrakenNames
from galfriday.adapters.kraken.rest_parsing import (
    parse_assets,
    parse_balance,
    parse_balance_ex,
    parse_cancel_all_after,
    parse_order,
    parse_system_status,
    parse_time,
    parse_token,
    parse_trade,
    unix_time,
)
from galfriday.domain.executions import Liquidity, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import OrderType
from galfriday.errors import InvalidValueError

SAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "kraken_rest_samples.json").read_text(), parse_float=Decimal
)
NAMES = KrakenNames.from_responses(
    SAMPLES["assets_constructed"]["result"], SAMPLES["asset_pairs_constructed"]["result"]
)
AT = datetime(2023, 7, 6, 19, 0, tzinfo=UTC)


def result(name: str) -> Any:
    return SAMPLES[name]["result"]


def only(mapping: dict[str, Any]) -> tuple[str, Any]:
    ((key, value),) = mapping.items()
    return key, value


def test_unix_times_become_aware_utc_to_the_microsecond() -> None:
    assert unix_time(Decimal("1688666559.8974")) == datetime(2023, 7, 6, 18, 2, 39, 897400, tzinfo=UTC)
    assert unix_time("1705260547.4728658") == datetime(2024, 1, 14, 19, 29, 7, 472866, tzinfo=UTC)
    assert unix_time(1688669448) == datetime(2023, 7, 6, 18, 50, 48, tzinfo=UTC)


def test_time_and_system_status() -> None:
    assert parse_time(result("time")) == datetime(2023, 7, 6, 18, 50, 48, tzinfo=UTC)
    status = parse_system_status(result("system_status"))
    assert status.status == "online"
    assert status.timestamp == datetime(2023, 7, 6, 18, 52, tzinfo=UTC)
    assert status.accepts_orders


def test_assets_use_neutral_codes_and_kraken_decimals() -> None:
    assets = {asset.code: asset.decimals for asset in parse_assets(result("assets"))}
    assert assets == {"BTC": 10, "EUR": 4, "USD": 4}


def test_balance_keeps_every_wire_digit_and_staking_variants() -> None:
    balances = {b.asset: b for b in parse_balance(result("balance"), NAMES, AT)}
    assert balances["BTC"].total == Decimal("1011.1908877900")
    assert balances["USD"].total == Decimal("171288.6158")
    assert balances["ETH2.S"].total == Decimal("198.3970800000")
    assert balances["USD.M"].total == Decimal("1213029.2780")
    assert balances["BTC"].available == balances["BTC"].total
    assert balances["BTC"].updated_at == AT


def test_balance_ex_subtracts_holds_from_available() -> None:
    balances = {b.asset: b for b in parse_balance_ex(result("balance_ex"), NAMES, AT)}
    assert balances["USD"].total == Decimal("25435.21")
    assert balances["USD"].available == Decimal("17185.45")
    assert balances["BTC"].available == Decimal("0.40120000")
    assert balances["BTC"].reserved == Decimal("0.84230000")


def test_balance_ex_with_string_values_and_credit_never_exceeds_the_total() -> None:
    balances = {b.asset: b for b in parse_balance_ex(result("balance_ex_strings_constructed"), NAMES, AT)}
    assert balances["BTC"].available == Decimal("1.9630709100")
    assert balances["USD"].available == Decimal("100.0000")


def test_an_open_order_with_fills_is_partially_filled() -> None:
    txid, info = only(result("open_orders")["open"])
    order = parse_order(txid, info, NAMES)
    assert order.exchange_order_id == "OQCLML-BW3P3-BUCMWZ"
    assert order.symbol == "BTC/USD"
    assert order.side is OrderSide.BUY
    assert order.order_type is OrderType.LIMIT
    assert order.limit_price == Decimal("30010.0")
    assert order.quantity == Decimal("1.25000000")
    assert order.filled_quantity == Decimal("0.37500000")
    assert order.filled_cost == Decimal("11253.7")
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.created_at == datetime(2023, 7, 6, 18, 2, 39, 897400, tzinfo=UTC)


def test_an_order_placed_elsewhere_is_external_and_named_by_its_txid() -> None:
    txid, info = only(result("open_orders")["open"])
    order = parse_order(txid, info, NAMES)
    assert order.external
    assert order.client_order_id == txid


def test_an_order_with_a_cl_ord_id_is_ours() -> None:
    txid, info = only(result("open_orders")["open"])
    order = parse_order(txid, {**info, "cl_ord_id": "gf-1"}, NAMES)
    assert order.client_order_id == "gf-1"
    assert not order.external


def test_a_canceled_stop_loss_limit_order_keeps_its_reason_and_close_time() -> None:
    txid, info = only(result("closed_orders")["closed"])
    order = parse_order(txid, info, NAMES)
    assert order.symbol == "BTC/GBP"
    assert order.status is OrderStatus.CANCELED
    assert order.reason == "User requested"
    assert order.order_type is OrderType.LIMIT
    assert order.limit_price == Decimal("23667.0")
    assert order.closed_filled_quantity == 0
    assert order.updated_at == datetime(2023, 6, 30, 18, 10, 10, 48200, tzinfo=UTC)


def test_a_filled_market_order_with_base_currency_fees() -> None:
    txid, info = only(result("query_orders"))
    order = parse_order(txid, info, NAMES)
    assert order.status is OrderStatus.FILLED
    assert order.order_type is OrderType.MARKET
    assert order.limit_price is None
    assert order.filled_cost == Decimal("7500.0")
    assert order.fees == {"BTC": Decimal("7.5")}  # oflags fcib: fee in the base currency
    assert order.closed_filled_quantity == Decimal("0.25000000")


def test_recorded_orders_with_string_times_and_userref() -> None:
    txid, info = only(result("query_orders_recorded_closed_market"))
    order = parse_order(txid, info, NAMES)
    assert order.symbol == "LTC/USDT"
    assert order.status is OrderStatus.FILLED
    assert order.fees == {"USDT": Decimal("0.018475")}
    open_txid, open_info = only(result("query_orders_recorded_open"))
    assert parse_order(open_txid, open_info, NAMES).status is OrderStatus.NEW


def test_a_closed_order_filled_only_in_part_was_canceled_for_the_rest() -> None:
    txid, info = only(result("query_orders"))
    order = parse_order(txid, {**info, "vol_exec": "0.10000000"}, NAMES)
    assert order.status is OrderStatus.CANCELED
    assert order.closed_filled_quantity == Decimal("0.10000000")


@pytest.mark.parametrize(
    ("kraken", "expected"), [("pending", OrderStatus.NEW), ("expired", OrderStatus.EXPIRED)]
)
def test_pending_and_expired_statuses(kraken: str, expected: OrderStatus) -> None:
    txid, info = only(result("query_orders"))
    assert parse_order(txid, {**info, "status": kraken, "vol_exec": "0"}, NAMES).status is expected


def test_an_unknown_status_is_refused_by_name() -> None:
    txid, info = only(result("query_orders"))
    with pytest.raises(InvalidValueError, match="bogus"):
        parse_order(txid, {**info, "status": "bogus"}, NAMES)


def test_trades_become_executions_with_exact_wire_decimals() -> None:
    trades = result("trades_history")["trades"]
    execution = parse_trade("THVRQM-33VKH-UCI7BS", trades["THVRQM-33VKH-UCI7BS"], NAMES)
    assert execution.exec_id == "THVRQM-33VKH-UCI7BS"
    assert execution.order_id == "OQCLML-BW3P3-BUCMWZ"
    assert execution.symbol == "BTC/USD"
    assert execution.quantity == Decimal("0.02000000")
    assert str(execution.price) == "30010.00000"
    assert execution.fee == 0
    assert execution.fee_currency == "USD"
    assert execution.liquidity is Liquidity.MAKER
    assert execution.trade_id == "40274859"
    assert execution.timestamp == datetime(2023, 7, 6, 18, 23, 16, 880200, tzinfo=UTC)


def test_cancel_all_after_gives_the_trigger_time_or_none_when_disarmed() -> None:
    assert parse_cancel_all_after(result("cancel_all_orders_after")) == datetime(
        2023, 3, 24, 17, 42, 56, tzinfo=UTC
    )
    assert parse_cancel_all_after({"currentTime": "2023-03-24T17:41:56Z", "triggerTime": "0"}) is None


def test_the_websocket_token_is_a_secret_that_never_prints() -> None:
    token = parse_token(result("websockets_token"), AT)
    assert token.token.reveal() == "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw"
    assert "1Dwc4lz" not in repr(token)
    assert token.expires_at == datetime(2023, 7, 6, 19, 15, tzinfo=UTC)

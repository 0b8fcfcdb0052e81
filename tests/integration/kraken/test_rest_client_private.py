"""Private reads against the in-test server, which verifies every API-Sign with our `verify()`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from kraken_rest_fake import API_KEY, SAMPLES, error, kraken_fake, ok

from galfriday.adapters.kraken.rest_errors import InvalidRequestError
from galfriday.errors import AuthenticationError, InvalidValueError


def order_row(txid: str, **changes: Any) -> dict[str, Any]:
    ((_, row),) = SAMPLES["query_orders"]["result"].items()
    return {**row, **changes}


def trade_row(at: float, **changes: Any) -> dict[str, Any]:
    row = SAMPLES["trades_history"]["result"]["trades"]["THVRQM-33VKH-UCI7BS"]
    return {**row, "time": at, **changes}


async def test_private_calls_are_signed_form_posts_with_increasing_nonces() -> None:
    async with kraken_fake() as (fake, client):
        await client.balance()
        await client.balance_ex()
        await client.open_orders()
        calls = [c for c in fake.calls if c.method in ("Balance", "BalanceEx", "OpenOrders")]
        assert [c.method for c in calls] == ["Balance", "BalanceEx", "OpenOrders"]
        nonces = [int(c.form["nonce"]) for c in calls]
        assert nonces == sorted(nonces)
        assert len(set(nonces)) == 3
        assert all(c.headers["API-Key"] == API_KEY for c in calls)
        assert all(c.headers["Content-Type"].startswith("application/x-www-form-urlencoded") for c in calls)


async def test_a_wrong_secret_is_refused_by_the_server_s_verify_and_not_retried() -> None:
    wrong = "a2V5LXRoYXQtaXMtbm90LWtyYWtlbnMtb3du"
    async with kraken_fake(api_secret=wrong) as (fake, client):
        with pytest.raises(AuthenticationError, match="Invalid signature"):
            await client.balance()
        assert fake.calls_to("Balance") == []  # refused before being recorded as a valid call


async def test_private_calls_without_credentials_fail_before_sending() -> None:
    async with kraken_fake(api_key=None, api_secret=None) as (fake, client):
        with pytest.raises(AuthenticationError, match="no API key"):
            await client.balance()
        assert fake.calls_to("Balance") == []


async def test_balances_come_from_balance_and_balance_ex() -> None:
    async with kraken_fake() as (_fake, client):
        plain = {b.asset: b for b in await client.balance()}
        assert plain["BTC"].total == Decimal("1011.1908877900")
        assert plain["ETH2.S"].total == Decimal("198.3970800000")
        held = {b.asset: b for b in await client.balance_ex()}
        assert held["USD"].available == Decimal("17185.45")


async def test_open_orders_filtered_by_userref_and_cl_ord_id() -> None:
    async with kraken_fake() as (fake, client):
        (order,) = await client.open_orders(userref=-5, cl_ord_id="gf-1")
        assert order.exchange_order_id == "OQCLML-BW3P3-BUCMWZ"
        (call,) = fake.calls_to("OpenOrders")
        assert (call.form["userref"], call.form["cl_ord_id"]) == ("-5", "gf-1")


async def test_a_userref_beyond_32_bits_is_refused_before_sending() -> None:
    async with kraken_fake() as (fake, client):
        with pytest.raises(InvalidValueError, match="userref"):
            await client.open_orders(userref=2**31)
        assert fake.calls_to("OpenOrders") == []


async def test_closed_orders_page_through_every_offset_and_keep_those_closed_since_start() -> None:
    start = datetime(2023, 7, 6, tzinfo=UTC)
    late = start.timestamp() + 60
    page1 = {f"O{i:02d}": order_row(f"O{i:02d}", closetm=late, opentm=late - 1) for i in range(50)}
    page2 = {
        "O50": order_row("O50", closetm=late, opentm=late - 1),
        "OLD": order_row("OLD", closetm=start.timestamp() - 30, opentm=start.timestamp() - 40),
    }
    async with kraken_fake() as (fake, client):
        fake.queue("ClosedOrders", ok({"closed": page1, "count": 52}), ok({"closed": page2, "count": 52}))
        orders = await client.closed_orders(start)
        assert len(orders) == 51
        assert "OLD" not in {o.exchange_order_id for o in orders}
        calls = fake.calls_to("ClosedOrders")
        assert [c.form["ofs"] for c in calls] == ["0", "50"]
        assert calls[0].form["start"] == str(int(start.timestamp()) - 1)
        assert calls[0].form["closetime"] == "close"


async def test_query_orders_batches_fifty_txids_per_call() -> None:
    txids = [f"OTX{i:03d}-AAAAA-BBBBBB" for i in range(120)]

    async def answer_for(batch: list[str]) -> dict[str, Any]:
        return ok({txid: order_row(txid) for txid in batch})

    async with kraken_fake() as (fake, client):
        for start in range(0, 120, 50):
            fake.queue("QueryOrders", await answer_for(txids[start : start + 50]))
        orders = await client.query_orders([*txids, txids[0]])
        assert len(orders) == 120
        sent = [c.form["txid"].split(",") for c in fake.calls_to("QueryOrders")]
        assert [len(batch) for batch in sent] == [50, 50, 20]
        assert [t for batch in sent for t in batch] == txids


async def test_query_orders_leaves_out_an_id_kraken_does_not_know() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue(
            "QueryOrders",
            error("EOrder:Unknown order"),
            ok({"OKNOWN": order_row("OKNOWN")}),
            error("EOrder:Unknown order"),
        )
        orders = await client.query_orders(["OKNOWN", "OGONE"])
        assert [o.exchange_order_id for o in orders] == ["OKNOWN"]
        assert [c.form["txid"] for c in fake.calls_to("QueryOrders")] == ["OKNOWN,OGONE", "OKNOWN", "OGONE"]


async def test_query_orders_raises_when_kraken_refuses_the_request_itself() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("QueryOrders", error("EGeneral:Invalid arguments:txid"))
        with pytest.raises(InvalidRequestError):
            await client.query_orders(["O1", "O2"])


async def test_trades_history_pages_by_ofs_dedupes_shifted_rows_and_returns_oldest_first() -> None:
    start = datetime(2023, 7, 6, 18, 0, tzinfo=UTC)
    t0 = start.timestamp()
    page1 = {f"T{i:02d}": trade_row(t0 + 100 - i) for i in range(50)}
    page2 = {"T49": page1["T49"], "T50": trade_row(t0 + 10), "TOLD": trade_row(t0 - 5)}
    async with kraken_fake() as (fake, client):
        fake.queue("TradesHistory", ok({"trades": page1, "count": 53}), ok({"trades": page2, "count": 53}))
        executions = await client.trades_history(start)
        assert [c.form["ofs"] for c in fake.calls_to("TradesHistory")] == ["0", "50"]
        assert len(executions) == 51
        assert executions[0].exec_id == "T50"
        assert executions[-1].exec_id == "T00"
        assert all(e.timestamp >= start for e in executions)
        assert executions[0].timestamp == start + timedelta(seconds=10)


async def test_cancel_all_orders_after_arms_and_disarms() -> None:
    async with kraken_fake() as (fake, client):
        assert await client.cancel_all_orders_after(60) == datetime(2023, 3, 24, 17, 42, 56, tzinfo=UTC)
        fake.queue("CancelAllOrdersAfter", ok({"currentTime": "2023-03-24T17:41:56Z", "triggerTime": "0"}))
        assert await client.cancel_all_orders_after(0) is None
        assert [c.form["timeout"] for c in fake.calls_to("CancelAllOrdersAfter")] == ["60", "0"]
        with pytest.raises(InvalidValueError):
            await client.cancel_all_orders_after(86400)


async def test_websockets_token() -> None:
    async with kraken_fake() as (_fake, client):
        token = await client.get_websockets_token()
        assert token.token.reveal() == "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw"
        assert token.expires_in == 900


async def test_concurrent_private_calls_reach_kraken_with_increasing_nonces() -> None:
    async with kraken_fake() as (fake, client):
        await client.names()
        await asyncio.gather(
            *(client.open_orders() for _ in range(12)), *(client.balance() for _ in range(12))
        )
        assert fake.refused == []
        nonces = [int(c.form["nonce"]) for c in fake.calls if c.form]
        assert len(nonces) == 24
        assert nonces == sorted(nonces)

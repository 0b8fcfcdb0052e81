"""AddOrder is sent exactly once; with no answer the order is found by cl_ord_id, never re-sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from kraken_rest_fake import SAMPLES, START, drop, error, kraken_fake, ok, raw, stall, status

from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order
from galfriday.errors import (
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
)

CL_ORD_ID = "gf-000042"


def our_order(**changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": CL_ORD_ID,
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "limit",
        "quantity": Decimal("1.25"),
        "limit_price": Decimal("30010.0"),
        "at": START,
    }
    fields.update(changes)
    return Order.create(**fields)


def kraken_row(status_: str = "open", **changes: Any) -> dict[str, Any]:
    ((_, row),) = SAMPLES["open_orders"]["result"]["open"].items()
    return {
        **row,
        "status": status_,
        "cl_ord_id": CL_ORD_ID,
        "opentm": START.timestamp() + 1,
        "vol_exec": "0",
        **changes,
    }


async def test_an_acknowledged_order_gets_kraken_s_txid_and_is_new() -> None:
    async with kraken_fake() as (fake, client):
        placed = await client.add_order(our_order())
        assert placed.exchange_order_id == "OUF4EM-FRGI2-MQMWZD"
        assert placed.status is OrderStatus.NEW
        assert placed.client_order_id == CL_ORD_ID
        (call,) = fake.calls_to("AddOrder")
        assert {k: v for k, v in call.form.items() if k != "nonce"} == {
            "pair": "XBTUSD",
            "type": "buy",
            "ordertype": "limit",
            "volume": "1.25",
            "price": "30010.0",
            "timeinforce": "GTC",
            "cl_ord_id": CL_ORD_ID,
        }


async def test_validate_only_sends_validate_and_returns_the_order_unchanged() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("AddOrder", ok({"descr": {"order": "buy 1.25 XBTUSD @ limit 30010.0"}}))
        order = our_order()
        assert await client.add_order(order, validate=True) == order
        assert fake.calls_to("AddOrder")[0].form["validate"] == "true"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (error("EOrder:Insufficient funds"), InsufficientFundsError),
        (error("EGeneral:Invalid arguments:volume"), InvalidOrderError),
        (error("EOrder:Rate limit exceeded"), RateLimitedError),
        (error("EAPI:Rate limit exceeded"), RateLimitedError),
    ],
)
async def test_a_refusal_is_raised_after_one_attempt_with_no_lookup(
    answer: dict[str, Any], expected: type[Exception]
) -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("AddOrder", answer)
        with pytest.raises(expected):
            await client.add_order(our_order())
        assert len(fake.calls_to("AddOrder")) == 1
        assert fake.calls_to("OpenOrders") == fake.calls_to("ClosedOrders") == []


@pytest.mark.parametrize(
    "no_answer",
    [
        stall(1.0),
        drop(),
        status(502),
        raw("<html>cloudflare</html>"),
        error("EService:Unavailable"),
        error("EGeneral:Internal error"),
    ],
    ids=["timeout", "dropped", "http-502", "not-json", "unavailable", "internal-error"],
)
async def test_with_no_answer_the_order_is_found_open_by_cl_ord_id_and_never_resent(no_answer: Any) -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("AddOrder", no_answer)
        fake.queue("OpenOrders", ok({"open": {"OFOUND-AAAAA-BBBBBB": kraken_row()}}))
        placed = await client.add_order(our_order())
        assert placed.exchange_order_id == "OFOUND-AAAAA-BBBBBB"
        assert placed.client_order_id == CL_ORD_ID
        assert placed.status is OrderStatus.NEW
        assert len(fake.calls_to("AddOrder")) == 1
        assert fake.calls_to("OpenOrders")[0].form["cl_ord_id"] == CL_ORD_ID


async def test_an_order_that_filled_at_once_is_found_among_closed_orders() -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("AddOrder", stall(1.0))
        fake.queue("OpenOrders", ok({"open": {}}))
        closed = kraken_row("closed", vol_exec="1.25000000", closetm=START.timestamp() + 2)
        fake.queue("ClosedOrders", ok({"closed": {"OFILLED-AAAAA-BBBBBB": closed}, "count": 1}))
        placed = await client.add_order(our_order())
        assert placed.exchange_order_id == "OFILLED-AAAAA-BBBBBB"
        assert placed.status is OrderStatus.FILLED
        assert len(fake.calls_to("AddOrder")) == 1
        assert fake.calls_to("ClosedOrders")[0].form["cl_ord_id"] == CL_ORD_ID


async def test_an_old_order_that_once_used_the_same_cl_ord_id_is_not_taken_for_ours() -> None:
    old = kraken_row("closed", opentm=START.timestamp() - 3600, closetm=START.timestamp() - 3500)
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("AddOrder", status(503))
        fake.queue("OpenOrders", ok({"open": {}}), ok({"open": {}}))
        fake.queue(
            "ClosedOrders", *[ok({"closed": {"OOLD00-AAAAA-BBBBBB": old}, "count": 1}) for _ in range(2)]
        )
        with pytest.raises(OutcomeUnknownError):
            await client.add_order(our_order())


async def test_not_found_after_every_lookup_is_an_unknown_outcome_and_addorder_was_sent_once() -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("AddOrder", stall(1.0))
        fake.queue("OpenOrders", ok({"open": {}}), ok({"open": {}}))
        fake.queue("ClosedOrders", ok({"closed": {}, "count": 0}), ok({"closed": {}, "count": 0}))
        with pytest.raises(OutcomeUnknownError, match=CL_ORD_ID) as caught:
            await client.add_order(our_order())
        assert not isinstance(caught.value, OrderNotFoundError)
        assert "may still appear" in str(caught.value)
        assert len(fake.calls_to("AddOrder")) == 1
        assert len(fake.calls_to("OpenOrders")) == 2


async def test_lookups_that_themselves_fail_end_in_an_unknown_outcome() -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("AddOrder", drop())
        fake.queue("OpenOrders", *[status(502)] * 10)
        with pytest.raises(OutcomeUnknownError, match="last lookup failed"):
            await client.add_order(our_order())
        assert len(fake.calls_to("AddOrder")) == 1


async def test_an_order_refused_locally_is_never_sent() -> None:
    async with kraken_fake() as (fake, client):
        with pytest.raises(InvalidOrderError):
            await client.add_order(our_order(limit_price=Decimal("30010.05")))
        assert fake.calls_to("AddOrder") == []


async def test_cancel_order_by_txid() -> None:
    async with kraken_fake() as (fake, client):
        await client.cancel_order("OQCLML-BW3P3-BUCMWZ")
        assert fake.calls_to("CancelOrder")[0].form["txid"] == "OQCLML-BW3P3-BUCMWZ"


async def test_cancelling_an_unknown_order_is_not_found_with_its_id() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("CancelOrder", error("EOrder:Unknown order"))
        with pytest.raises(OrderNotFoundError) as caught:
            await client.cancel_order("OGONE0-AAAAA-BBBBBB")
        assert caught.value.order_id == "OGONE0-AAAAA-BBBBBB"


async def test_a_cancel_that_cancelled_nothing_is_not_found() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("CancelOrder", ok({"count": 0}))
        with pytest.raises(OrderNotFoundError):
            await client.cancel_order("OGONE0-AAAAA-BBBBBB")


async def test_a_pending_cancel_is_accepted() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("CancelOrder", ok({"count": 0, "pending": True}))
        await client.cancel_order("OQCLML-BW3P3-BUCMWZ")


@pytest.mark.parametrize("no_answer", [stall(1.0), status(500), error("EService:Unavailable")])
async def test_a_cancel_without_an_answer_is_unknown_never_not_found_and_never_retried(
    no_answer: Any,
) -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("CancelOrder", no_answer)
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.cancel_order("OQCLML-BW3P3-BUCMWZ")
        assert not isinstance(caught.value, OrderNotFoundError)
        assert len(fake.calls_to("CancelOrder")) == 1

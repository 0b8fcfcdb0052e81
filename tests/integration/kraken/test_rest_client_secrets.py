"""Secrets (API key, API secret, signatures, WebSocket token) never reach logs, reprs or errors."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from decimal import Decimal

import pytest
from kraken_rest_fake import API_KEY, API_SECRET, START, drop, error, kraken_fake, stall, status

from galfriday.domain.orders import Order
from galfriday.errors import ExchangeError


def chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def everything_said_about(exc: BaseException) -> str:
    parts = ["".join(traceback.format_exception(exc))]
    for link in chain(exc):
        parts += [str(link), repr(link), repr(link.args), repr(vars(link))]
    return "\n".join(parts)


async def test_no_secret_appears_in_logs_reprs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    raised: list[ExchangeError] = []
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        token = await client.get_websockets_token()
        await client.balance_ex()
        await client.open_orders()
        fake.queue("Balance", stall(1.0), drop(), status(502))
        fake.queue("OpenOrders", error("EAPI:Invalid key"))
        fake.queue("AddOrder", stall(1.0))
        fake.queue("CancelOrder", error("EOrder:Unknown order"))
        order = Order.create(
            client_order_id="gf-7",
            symbol="BTC/USD",
            side="buy",
            order_type="limit",
            quantity=Decimal(1),
            limit_price=Decimal(30000),
            at=START,
        )
        for call in (
            client.balance(),
            client.open_orders(),
            client.add_order(order),
            client.cancel_order("OQCLML-BW3P3-BUCMWZ"),
        ):
            try:
                await call
            except ExchangeError as exc:
                raised.append(exc)
        reprs = [repr(client), repr(client.transport), repr(token), str(token)]
        signatures = [c.headers["API-Sign"] for c in fake.calls if "API-Sign" in c.headers]

    assert len(raised) == 4
    assert signatures
    said = "\n".join([caplog.text, *reprs, *(everything_said_about(exc) for exc in raised)])
    for secret in [API_KEY, API_SECRET, API_SECRET[:16], token.token.reveal(), *signatures]:
        assert secret not in said

"""Safe calls are retried with backoff; unsafe ones never; the call counter makes callers wait, not fail."""

from __future__ import annotations

import logging

import pytest
from kraken_rest_fake import drop, error, kraken_fake, raw, stall, status

from galfriday.adapters.kraken.rest_errors import KrakenHttpError
from galfriday.errors import (
    AuthenticationError,
    InsufficientFundsError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
)


@pytest.mark.parametrize(
    "failure",
    [
        stall(1.0),
        drop(),
        status(520),
        raw("not json"),
        error("EService:Unavailable"),
        error("EAPI:Invalid nonce"),
    ],
    ids=["timeout", "dropped", "http-520", "not-json", "unavailable", "invalid-nonce"],
)
async def test_a_read_is_retried_after_a_transient_failure(failure: object) -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("Balance", failure)
        balances = await client.balance()
        assert balances
        calls = fake.calls_to("Balance")
        assert len(calls) == 2
        assert int(calls[1].form["nonce"]) > int(calls[0].form["nonce"])


async def test_a_read_that_keeps_failing_ends_in_an_unknown_outcome_never_not_found() -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("OpenOrders", status(502), status(502), status(502))
        with pytest.raises(KrakenHttpError) as caught:
            await client.open_orders()
        assert isinstance(caught.value, OutcomeUnknownError)
        assert not isinstance(caught.value, OrderNotFoundError)
        assert caught.value.status == 502
        assert len(fake.calls_to("OpenOrders")) == 3


async def test_backoff_doubles_between_attempts() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Balance", status(502), status(502))
        before = client.transport._clock.now()
        await client.balance()
        waited = (client.transport._clock.now() - before).total_seconds()
        # base 0.1 then 0.2, each shortened by up to half its length by jitter
        assert 0.15 <= waited <= 0.3


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (error("EAPI:Invalid key"), AuthenticationError),
        (error("EGeneral:Permission denied"), AuthenticationError),
        (error("EOrder:Insufficient funds"), InsufficientFundsError),
    ],
)
async def test_definitive_refusals_are_not_retried(answer: object, expected: type[Exception]) -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Balance", answer)
        with pytest.raises(expected):
            await client.balance()
        assert len(fake.calls_to("Balance")) == 1


async def test_kraken_s_rate_limit_answer_fills_our_counter_and_the_read_waits_then_succeeds() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Balance", error("EAPI:Rate limit exceeded"))
        clock = client.transport._clock
        before = clock.now()
        await client.balance()
        assert len(fake.calls_to("Balance")) == 2
        # the retry had to wait for the saturated counter to decay by one call (starter: 0.33/s)
        assert (clock.now() - before).total_seconds() == pytest.approx(1 / 0.33, abs=1e-5)


async def test_throttled_waits_until_kraken_s_timestamp() -> None:
    async with kraken_fake() as (fake, client):
        clock = client.transport._clock
        until = int(clock.now().timestamp()) + 5
        fake.queue("Balance", error(f"EService: Throttled: {until}"))
        await client.balance()
        assert clock.now().timestamp() >= until


async def test_a_temporary_lockout_is_raised_rather_than_waited_out_for_fifteen_minutes() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Balance", error("EGeneral:Temporary lockout"))
        with pytest.raises(RateLimitedError) as caught:
            await client.balance()
        assert caught.value.retry_after == 900
        assert len(fake.calls_to("Balance")) == 1


async def test_many_reads_wait_for_the_counter_instead_of_being_refused() -> None:
    async with kraken_fake() as (fake, client):
        clock = client.transport._clock
        before = clock.now()
        for _ in range(20):
            await client.balance()
        assert len(fake.calls_to("Balance")) == 20
        waited = (clock.now() - before).total_seconds()
        assert waited == pytest.approx(5 / 0.33, rel=0.01)  # starter: 15 at once, then one per 1/0.33 s


async def test_warnings_are_logged_and_the_result_returned(caplog: pytest.LogCaptureFixture) -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Time", {"error": ["WGeneral:Deprecated"], "result": {"unixtime": 1, "rfc1123": "x"}})
        with caplog.at_level(logging.WARNING):
            await client.time()
        assert "WGeneral:Deprecated" in caplog.text


async def test_the_token_and_the_dead_man_switch_are_retried() -> None:
    async with kraken_fake(client_timeout=0.3) as (fake, client):
        fake.queue("GetWebSocketsToken", stall(1.0))
        fake.queue("CancelAllOrdersAfter", error("EService:Busy"))
        await client.get_websockets_token()
        await client.cancel_all_orders_after(60)
        assert len(fake.calls_to("GetWebSocketsToken")) == 2
        assert len(fake.calls_to("CancelAllOrdersAfter")) == 2

"""Requests matched to their answers by req_id, and Kraken's refusals as typed errors."""

from __future__ import annotations

import asyncio

import pytest

from galfriday.adapters.kraken.ws_messages import MethodResponse, Pong
from galfriday.adapters.kraken.ws_requests import (
    AlreadySubscribedError,
    KrakenRequestError,
    PendingRequests,
    RequestTimeoutError,
    SubscriptionNotFoundError,
    UnsupportedSubscriptionError,
    reply_error,
)
from galfriday.errors import AuthenticationError, InsufficientFundsError


def ack(req_id: int, symbol: str | None = None, *, error: str | None = None) -> MethodResponse:
    result = None if error else {"channel": "book", "symbol": symbol}
    return MethodResponse(
        method="subscribe", req_id=req_id, success=error is None, error=error, result=result, symbol=symbol
    )


async def test_a_request_gets_its_answer_by_req_id() -> None:
    pending = PendingRequests()
    first, first_answer = pending.register()
    second, second_answer = pending.register()
    assert pending.resolve(Pong(req_id=second))
    assert pending.resolve(ack(first))
    assert await pending.wait(first, first_answer, 1) == [ack(first)]
    assert await pending.wait(second, second_answer, 1) == [Pong(req_id=second)]
    assert len(pending) == 0


async def test_a_request_for_several_symbols_waits_for_an_answer_per_symbol() -> None:
    pending = PendingRequests()
    req_id, answers = pending.register(expected=2)
    pending.resolve(ack(req_id, "BTC/USD"))
    assert not answers.done()
    pending.resolve(ack(req_id, "ETH/USD", error="Currency pair not supported ETH/USD"))
    replies = await pending.wait(req_id, answers, 1)
    assert [getattr(a, "symbol", None) for a in replies] == ["BTC/USD", "ETH/USD"]


async def test_a_refusal_naming_no_symbol_ends_the_wait_at_once() -> None:
    pending = PendingRequests()
    req_id, answers = pending.register(expected=3)
    pending.resolve(ack(req_id, error="Subscription depth not supported"))
    assert len(await pending.wait(req_id, answers, 1)) == 1


async def test_an_answer_nobody_waits_for_is_ignored() -> None:
    pending = PendingRequests()
    assert not pending.resolve(ack(99))
    assert not pending.resolve(Pong(req_id=None))


async def test_no_answer_in_time_is_an_unknown_outcome_and_the_request_is_forgotten() -> None:
    pending = PendingRequests()
    req_id, answers = pending.register()
    with pytest.raises(RequestTimeoutError, match=r"no answer within 0\.01 s"):
        await pending.wait(req_id, answers, 0.01)
    assert not pending.resolve(ack(req_id))


async def test_a_lost_connection_fails_every_waiting_request() -> None:
    pending = PendingRequests()
    waits = [pending.wait(*pending.register(), 1) for _ in range(3)]
    pending.fail_all("the connection closed")
    results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, RequestTimeoutError) and "connection closed" in str(r) for r in results)


async def test_req_ids_are_unique() -> None:
    pending = PendingRequests()
    ids = [pending.register()[0] for _ in range(5)] + [pending.next_id() for _ in range(5)]
    assert len(set(ids)) == 10


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("Already subscribed", AlreadySubscribedError),
        ("Subscription Not Found", SubscriptionNotFoundError),
        ("Currency pair not supported XBT/USD", UnsupportedSubscriptionError),
        ("Subscription depth not supported", UnsupportedSubscriptionError),
        ("ESession:Invalid session", AuthenticationError),
        ("EGeneral:Permission denied", AuthenticationError),
        ("EOrder:Insufficient funds", InsufficientFundsError),
        ("Something new", KrakenRequestError),
    ],
)
def test_refusals_become_typed_errors(error: str, kind: type[Exception]) -> None:
    refusal = reply_error("subscribe", ack(1, "BTC/USD", error=error))
    assert isinstance(refusal, kind)
    assert error in str(refusal)

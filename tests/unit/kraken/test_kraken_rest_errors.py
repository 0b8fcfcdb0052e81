"""Kraken's error strings (spec table A.4.1) map to typed errors; warnings log; no answer is "unknown"."""

from __future__ import annotations

import logging

import pytest

from galfriday.adapters.kraken.rest_errors import (
    LOCKOUT_SECONDS,
    InvalidNonceError,
    InvalidRequestError,
    KrakenError,
    KrakenHttpError,
    ServiceUnavailableError,
    check_envelope,
    error_for,
    http_status_error,
    is_retryable,
    split_messages,
    transport_error,
)
from galfriday.errors import (
    AuthenticationError,
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
)

DOCUMENTED: list[tuple[str, type[ExchangeError]]] = [
    ("EGeneral:Invalid arguments", InvalidRequestError),
    ("EGeneral:Invalid arguments:ordertype", InvalidRequestError),
    ("EGeneral:Invalid arguments:Index unavailable", InvalidRequestError),
    ("EGeneral:Temporary lockout", RateLimitedError),
    ("EGeneral:Permission denied", AuthenticationError),
    ("EGeneral:Internal error", ServiceUnavailableError),
    ("EGeneral:Internal error:1234", ServiceUnavailableError),
    ("EGeneral:Unknown method", InvalidRequestError),
    ("EService:Unavailable", ServiceUnavailableError),
    ("EService:Busy", ServiceUnavailableError),
    ("EService:Market in cancel_only mode", InvalidOrderError),
    ("EService:Market in post_only mode", InvalidOrderError),
    ("EService:Deadline elapsed", ServiceUnavailableError),
    ("EService: Throttled: 1688669448", RateLimitedError),
    ("EAPI:Invalid key", AuthenticationError),
    ("EAPI:Invalid signature", AuthenticationError),
    ("EAPI:Invalid nonce", InvalidNonceError),
    ("EAPI:Rate limit exceeded", RateLimitedError),
    ("EAPI:Bad request", InvalidRequestError),
    ("EOrder:Insufficient funds", InsufficientFundsError),
    ("EOrder:Order minimum not met", InvalidOrderError),
    ("EOrder:Cost minimum not met", InvalidOrderError),
    ("EOrder:Tick size check failed", InvalidOrderError),
    ("EOrder:Orders limit exceeded", InvalidOrderError),
    ("EOrder:Rate limit exceeded", RateLimitedError),
    ("EOrder:Domain rate limit exceeded", RateLimitedError),
    ("EOrder:Scheduled orders limit exceeded", InvalidOrderError),
    ("EOrder:Invalid price", InvalidOrderError),
    ("EOrder:Invalid order", InvalidOrderError),
    ("EOrder:Unknown order", OrderNotFoundError),
    ("EOrder:Margin allowance exceeded", InvalidOrderError),
    ("EOrder:Margin level too low", InvalidOrderError),
    ("EOrder:Margin position size exceeded", InvalidOrderError),
    ("EOrder:Insufficient margin", InsufficientFundsError),
    ("EOrder:Cannot open position", InvalidOrderError),
    ("EOrder:Cannot open opposing position", InvalidOrderError),
    ("EOrder:Positions limit exceeded", InvalidOrderError),
    ("EOrder:Unknown position", InvalidOrderError),
    ("EOrder:Reduce only:Non-PC", InvalidOrderError),
    ("EOrder:Reduce only:No position exists", InvalidOrderError),
    ("EOrder:Reduce only:Position is closed", InvalidOrderError),
    ("EAccount:Invalid permissions", AuthenticationError),
    ("EAuth:Account temporary disabled", AuthenticationError),
    ("EAuth:Account unconfirmed", AuthenticationError),
    ("EAuth:Rate limit exceeded", RateLimitedError),
    ("EAuth:Too many requests", RateLimitedError),
    ("ETrade:Invalid request", InvalidOrderError),
    ("EQuery:Unknown asset pair", InvalidRequestError),
    ("EQuery:Unknown asset", InvalidRequestError),
    ("EFunding:Max fee exceeded", KrakenError),
    ("ESession:Invalid session", AuthenticationError),
]


@pytest.mark.parametrize(("message", "expected"), DOCUMENTED)
def test_every_documented_error_string_maps_to_its_typed_error(
    message: str, expected: type[ExchangeError]
) -> None:
    error = error_for("AddOrder", [message])
    assert type(error) is expected
    assert message in str(error) or isinstance(error, OrderNotFoundError)


def test_unknown_order_names_the_order_it_was_about() -> None:
    error = error_for("CancelOrder", ["EOrder:Unknown order"], order_id="OQCLML-BW3P3-BUCMWZ")
    assert isinstance(error, OrderNotFoundError)
    assert error.order_id == "OQCLML-BW3P3-BUCMWZ"


def test_throttled_carries_the_wait_until_kraken_s_timestamp() -> None:
    error = error_for("Balance", ["EService: Throttled: 1688669448"], now=1688669440.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == pytest.approx(8.0)


def test_a_temporary_lockout_says_to_wait_about_fifteen_minutes() -> None:
    error = error_for("Balance", ["EGeneral:Temporary lockout"])
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == LOCKOUT_SECONDS


def test_an_unrecognised_error_is_a_kraken_error_that_keeps_the_messages() -> None:
    error = error_for("Balance", ["ESomething:New"])
    assert type(error) is KrakenError
    assert error.messages == ("ESomething:New",)


def test_the_first_recognised_message_decides() -> None:
    error = error_for("AddOrder", ["EOrder:Insufficient funds", "EAPI:Rate limit exceeded"])
    assert isinstance(error, InsufficientFundsError)


def test_warnings_are_split_from_errors() -> None:
    assert split_messages(["WGeneral:Danger", "EGeneral:Invalid arguments"]) == (
        ["EGeneral:Invalid arguments"],
        ["WGeneral:Danger"],
    )


def test_a_success_envelope_returns_the_result() -> None:
    payload = {"error": [], "result": {"status": "online", "timestamp": "2021-03-22T17:18:03Z"}}
    assert check_envelope("SystemStatus", payload) == payload["result"]


def test_warnings_are_logged_and_the_result_still_returned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        result = check_envelope("Balance", {"error": ["WAPI:Deprecated"], "result": {"a": 1}})
    assert result == {"a": 1}
    assert "WAPI:Deprecated" in caplog.text


def test_an_error_envelope_raises_even_with_an_empty_result() -> None:
    with pytest.raises(AuthenticationError):
        check_envelope("Balance", {"error": ["EAPI:Invalid key"], "result": {}})


@pytest.mark.parametrize("payload", [None, [], "oops", {"error": "EAPI:Invalid key"}, {"error": []}])
def test_an_answer_that_is_not_the_envelope_is_an_unknown_outcome(payload: object) -> None:
    with pytest.raises(OutcomeUnknownError):
        check_envelope("AddOrder", payload)


def test_a_non_200_status_is_an_unknown_outcome_never_not_found() -> None:
    error = http_status_error("CancelOrder", 404)
    assert isinstance(error, OutcomeUnknownError)
    assert not isinstance(error, OrderNotFoundError)
    assert isinstance(error, KrakenHttpError)
    assert error.status == 404


def test_a_timeout_is_an_unknown_outcome_that_names_its_cause() -> None:
    error = transport_error("AddOrder", TimeoutError())
    assert isinstance(error, OutcomeUnknownError)
    assert "TimeoutError" in str(error)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ServiceUnavailableError("x"), True),
        (OutcomeUnknownError("x"), True),
        (RateLimitedError("x"), True),
        (InvalidNonceError("x"), True),
        (AuthenticationError("x"), False),
        (InvalidOrderError("x"), False),
        (InsufficientFundsError("x"), False),
        (OrderNotFoundError("x"), False),
    ],
)
def test_which_errors_a_safe_call_may_retry(error: Exception, retryable: bool) -> None:
    assert is_retryable(error) is retryable

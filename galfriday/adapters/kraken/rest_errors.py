"""Kraken's REST error envelope mapped to typed errors; warnings are logged, never raised.

Kraken answers HTTP 200 with `{"error": [...], "result": {...}}`; each message is `<E|W><Category>:<text>`
with suffixes that vary (`EGeneral:Invalid arguments:ordertype`), so messages are matched by prefix after
`: ` is normalised to `:`. No answer at all (a timeout, a reset connection, a non-200 status, a body that
is not the envelope) is `OutcomeUnknownError`: the request may or may not have been processed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from galfriday.errors import (
    AuthenticationError,
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
)

__all__ = [
    "LOCKOUT_SECONDS",
    "InvalidNonceError",
    "InvalidRequestError",
    "KrakenError",
    "KrakenHttpError",
    "ServiceUnavailableError",
    "check_envelope",
    "error_for",
    "http_status_error",
    "is_retryable",
    "split_messages",
    "transport_error",
]

log = logging.getLogger(__name__)

LOCKOUT_SECONDS = 900.0
"""`EGeneral:Temporary lockout` lasts "typically ~15 minutes" (Kraken support)."""


class KrakenError(ExchangeError):
    """A Kraken error message with no more specific meaning here; `messages` holds what Kraken said."""

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        self.messages = tuple(messages)
        super().__init__(message)


class InvalidNonceError(KrakenError):
    """`EAPI:Invalid nonce`: the request was refused unprocessed; a new nonce may succeed."""


class InvalidRequestError(InvalidOrderError):
    """Kraken refused a request's arguments (`EGeneral:Invalid arguments`, `EQuery:...`, `EAPI:Bad request`)."""


class ServiceUnavailableError(OutcomeUnknownError):
    """Kraken is unavailable, busy or failed internally; the request may or may not have been processed."""


class KrakenHttpError(OutcomeUnknownError):
    """A non-200 HTTP status: the request did not reach Kraken's API properly (a proxy or CDN answered)."""

    def __init__(self, message: str, status: int) -> None:
        self.status = status
        super().__init__(message)


def _normalise(message: str) -> str:
    return re.sub(r":\s+", ":", message.strip())


def split_messages(messages: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Split Kraken's `error` array into (errors, warnings); anything not starting with `W` is an error."""
    errors: list[str] = []
    warnings: list[str] = []
    for message in messages:
        text = str(message)
        (warnings if text.startswith("W") else errors).append(text)
    return errors, warnings


_Factory = Callable[[str, str, str | None, float | None], ExchangeError]


def _throttled_retry_after(message: str, now: float | None) -> float | None:
    match = re.search(r"Throttled:(\d+(?:\.\d+)?)", message)
    if match is None or now is None:
        return None
    return max(0.0, float(match.group(1)) - now)


def _plain(cls: Callable[[str], ExchangeError]) -> _Factory:
    return lambda text, _message, _order_id, _now: cls(text)


_RULES: tuple[tuple[str, _Factory], ...] = (
    ("EAPI:Invalid nonce", lambda text, m, _o, _n: InvalidNonceError(text, [m])),
    ("EAPI:Invalid key", _plain(AuthenticationError)),
    ("EAPI:Invalid signature", _plain(AuthenticationError)),
    ("EGeneral:Permission denied", _plain(AuthenticationError)),
    ("EAccount:Invalid permissions", _plain(AuthenticationError)),
    ("EAuth:Account temporary disabled", _plain(AuthenticationError)),
    ("EAuth:Account unconfirmed", _plain(AuthenticationError)),
    ("ESession:Invalid session", _plain(AuthenticationError)),
    ("EGeneral:Temporary lockout", lambda text, _m, _o, _n: RateLimitedError(text, LOCKOUT_SECONDS)),
    ("EAPI:Rate limit exceeded", _plain(RateLimitedError)),
    ("EOrder:Rate limit exceeded", _plain(RateLimitedError)),
    ("EOrder:Domain rate limit exceeded", _plain(RateLimitedError)),
    ("EAuth:Rate limit exceeded", _plain(RateLimitedError)),
    ("EAuth:Too many requests", _plain(RateLimitedError)),
    ("EService:Throttled", lambda text, m, _o, now: RateLimitedError(text, _throttled_retry_after(m, now))),
    ("EService:Unavailable", _plain(ServiceUnavailableError)),
    ("EService:Busy", _plain(ServiceUnavailableError)),
    ("EService:Deadline elapsed", _plain(ServiceUnavailableError)),
    ("EGeneral:Internal error", _plain(ServiceUnavailableError)),
    ("EOrder:Insufficient funds", _plain(InsufficientFundsError)),
    ("EOrder:Insufficient margin", _plain(InsufficientFundsError)),
    ("EFunding:Insufficient funds", _plain(InsufficientFundsError)),
    ("EOrder:Unknown order", lambda _t, _m, order_id, _n: OrderNotFoundError(order_id or "<unnamed>")),
    ("EOrder:", _plain(InvalidOrderError)),
    ("ETrade:", _plain(InvalidOrderError)),
    ("EService:Market in", _plain(InvalidOrderError)),
    ("EGeneral:Invalid arguments", _plain(InvalidRequestError)),
    ("EGeneral:Unknown method", _plain(InvalidRequestError)),
    ("EAPI:Bad request", _plain(InvalidRequestError)),
    ("EQuery:", _plain(InvalidRequestError)),
)


def error_for(
    method: str, errors: Sequence[str], *, order_id: str | None = None, now: float | None = None
) -> ExchangeError:
    """The typed error for Kraken's error messages: the first message that a rule recognises decides.

    `order_id` names the order for `OrderNotFoundError`; `now` (unix seconds) turns `EService:Throttled:<ts>`
    into a `retry_after`.
    """
    text = f"Kraken {method}: {'; '.join(errors) or 'an empty error'}"
    for message in errors:
        normal = _normalise(message)
        for prefix, factory in _RULES:
            if normal.startswith(prefix):
                return factory(text, normal, order_id, now)
    return KrakenError(text, errors)


def check_envelope(
    method: str, payload: Any, *, order_id: str | None = None, now: float | None = None
) -> Any:
    """Return the envelope's `result`; log its warnings; raise the typed error for its errors."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("error", []), list):
        raise OutcomeUnknownError(f"Kraken {method}: the answer is not Kraken's envelope; outcome unknown")
    errors, warnings = split_messages(payload.get("error", []))
    for warning in warnings:
        log.warning("Kraken %s warned: %s", method, warning)
    if errors:
        raise error_for(method, errors, order_id=order_id, now=now)
    if "result" not in payload:
        raise OutcomeUnknownError(f"Kraken {method}: the answer has neither errors nor a result")
    return payload["result"]


def http_status_error(method: str, status: int) -> KrakenHttpError:
    return KrakenHttpError(
        f"Kraken {method}: HTTP {status} (not from Kraken's API); the outcome is unknown", status
    )


def transport_error(method: str, exc: BaseException) -> OutcomeUnknownError:
    """No answer (timeout, connection error): never "not found". The cause is named, not chained."""
    reason = type(exc).__name__
    return OutcomeUnknownError(f"Kraken {method}: no answer ({reason}); the outcome is unknown")


def is_retryable(exc: BaseException) -> bool:
    """Whether a *safe* call may be repeated after `exc` (never use this to repeat an order placement)."""
    return isinstance(exc, OutcomeUnknownError | RateLimitedError | InvalidNonceError)

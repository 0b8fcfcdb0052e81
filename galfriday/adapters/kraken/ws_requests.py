"""Requests over a Kraken WebSocket matched to their answers by `req_id`, and failed answers as typed errors.

Kraken echoes `req_id` in every answer; a subscribe for several symbols is answered once per symbol, so a
request waits for as many answers as it expects (or for one refusal that names no symbol: the whole request
was refused). An answer that never comes ends the wait with
`RequestTimeoutError` (an unknown outcome); a lost connection fails every pending request at once.
"""

from __future__ import annotations

import asyncio
from itertools import count

from galfriday.adapters.kraken.rest_errors import error_for
from galfriday.adapters.kraken.ws_messages import MethodResponse, Pong
from galfriday.errors import ExchangeError, InvalidOrderError, InvalidValueError, OutcomeUnknownError

__all__ = [
    "AlreadySubscribedError",
    "KrakenRequestError",
    "PendingRequests",
    "RequestTimeoutError",
    "SubscriptionNotFoundError",
    "UnsupportedSubscriptionError",
    "reply_error",
]

Reply = MethodResponse | Pong


class KrakenRequestError(ExchangeError):
    """Kraken refused a WebSocket request; `error` is what it said, `symbol` the symbol it named (if any)."""

    def __init__(self, method: str, error: str, symbol: str | None = None) -> None:
        self.method = method
        self.error = error
        self.symbol = symbol
        about = f" {symbol}" if symbol else ""
        super().__init__(f"Kraken WebSocket {method}{about} refused: {error}")


class AlreadySubscribedError(KrakenRequestError):
    """A subscribe for a channel (and symbol) this connection already has."""


class SubscriptionNotFoundError(KrakenRequestError):
    """An unsubscribe of something this connection is not subscribed to."""


class UnsupportedSubscriptionError(KrakenRequestError, InvalidOrderError):
    """A subscribe Kraken cannot serve: an unknown pair, channel, depth or interval, or a malformed request."""


class RequestTimeoutError(OutcomeUnknownError):
    """No answer in time (or the connection was lost first): the request may or may not have taken effect."""


_WS_ERRORS: tuple[tuple[str, type[KrakenRequestError]], ...] = (
    ("Already subscribed", AlreadySubscribedError),
    ("Subscription Not Found", SubscriptionNotFoundError),
    ("Currency pair not supported", UnsupportedSubscriptionError),
    ("Subscription depth not supported", UnsupportedSubscriptionError),
    ("Subscription ohlc interval not supported", UnsupportedSubscriptionError),
    ("Channel ", UnsupportedSubscriptionError),
    ("Malformed request", UnsupportedSubscriptionError),
    ("Method not supported", UnsupportedSubscriptionError),
)


def reply_error(method: str, reply: MethodResponse) -> ExchangeError:
    """The typed error for a failed answer: WebSocket-only messages first, then Kraken's REST error strings
    (`ESession:Invalid session` is an `AuthenticationError`, `EOrder:Insufficient funds` an
    `InsufficientFundsError`, ...)."""
    error = reply.error or "failed without an error message"
    for prefix, kind in _WS_ERRORS:
        if error.startswith(prefix):
            return kind(method, error, reply.symbol)
    if error[:1] == "E" and ":" in error:
        return error_for(f"WebSocket {method}", [error])
    return KrakenRequestError(method, error, reply.symbol)


class _Pending:
    __slots__ = ("expected", "future", "replies")

    def __init__(self, future: asyncio.Future[list[Reply]], expected: int) -> None:
        self.future = future
        self.expected = expected
        self.replies: list[Reply] = []


class PendingRequests:
    """The requests of one connection awaiting answers, by `req_id` (unique per instance, from 1)."""

    def __init__(self, first_req_id: int = 1) -> None:
        self._ids = count(first_req_id)
        self._waiting: dict[int, _Pending] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def next_id(self) -> int:
        """A `req_id` for a request whose answer nobody waits for (a keep-alive ping)."""
        return next(self._ids)

    def register(self, expected: int = 1) -> tuple[int, asyncio.Future[list[Reply]]]:
        """A new `req_id` and the future of its `expected` answers (in arrival order)."""
        if expected < 1:
            raise InvalidValueError("expected", expected, "at least one answer")
        req_id = next(self._ids)
        future: asyncio.Future[list[Reply]] = asyncio.get_running_loop().create_future()
        self._waiting[req_id] = _Pending(future, expected)
        return req_id, future

    def resolve(self, reply: Reply) -> bool:
        """Give an answer to its request; False when nobody waits for that `req_id`."""
        req_id = reply.req_id
        if req_id is None:
            return False
        pending = self._waiting.get(req_id)
        if pending is None:
            return False
        pending.replies.append(reply)
        whole_request_refused = (
            isinstance(reply, MethodResponse) and reply.success is False and reply.symbol is None
        )
        if len(pending.replies) >= pending.expected or whole_request_refused:
            del self._waiting[req_id]
            if not pending.future.done():
                pending.future.set_result(pending.replies)
        return True

    async def wait(self, req_id: int, future: asyncio.Future[list[Reply]], within: float) -> list[Reply]:
        """The answers, or `RequestTimeoutError` after `within` seconds (the request is then forgotten)."""
        try:
            return await asyncio.wait_for(future, within)
        except TimeoutError:
            self._waiting.pop(req_id, None)
            raise RequestTimeoutError(
                f"Kraken WebSocket request {req_id}: no answer within {within:g} s; outcome unknown"
            ) from None

    def fail_all(self, reason: str) -> None:
        """The connection is gone: every waiting request ends with `RequestTimeoutError(reason)`."""
        waiting, self._waiting = self._waiting, {}
        for req_id, pending in waiting.items():
            if not pending.future.done():
                pending.future.set_exception(
                    RequestTimeoutError(f"Kraken WebSocket request {req_id}: {reason}; outcome unknown")
                )
                pending.future.exception()  # whoever waits still gets it; nobody waiting is not an error

"""Kraken REST transport: one aiohttp session, signed private calls, the error envelope, safe retries.

Private calls take a slot from the call counter, a nonce from the key's shared source, and are signed over
the exact form-encoded body sent. By default they are sent one at a time per client, so nonces reach Kraken
in order. Only calls marked safe are retried (exponential backoff with jitter, or Kraken's `retry_after`);
no header, body or secret is ever logged or put into an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import aiohttp
from attrs import frozen

from galfriday.adapters.kraken.nonce import NonceSource, nonce_source_for
from galfriday.adapters.kraken.rate_limit import STARTER, CallCounter, RateLimiter, RateTier
from galfriday.adapters.kraken.rest_errors import (
    check_envelope,
    http_status_error,
    is_retryable,
    transport_error,
)
from galfriday.adapters.kraken.signing import sign
from galfriday.config import Secret
from galfriday.errors import AuthenticationError, ExchangeError, OutcomeUnknownError, RateLimitedError
from galfriday.ports.clock import Clock

__all__ = ["KrakenTransport", "RetryPolicy"]

log = logging.getLogger("galfriday.adapters.kraken.rest")

Params = Sequence[tuple[str, str]] | Mapping[str, str]
_Credentials = tuple[Secret, Secret, NonceSource]


@frozen
class RetryPolicy:
    """How safe calls are retried: `attempts` in all, delays doubling from `base_delay` up to `max_delay`.

    A rate-limit answer with a `retry_after` above `max_retry_after` is raised rather than waited out.
    """

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait before retry number `attempt + 1` (attempt counts from 0)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling * (1 - self.jitter * rng.random())


class KrakenTransport:
    """Sends public and private Kraken REST calls and returns each envelope's `result`."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret | None,
        api_secret: Secret | None,
        *,
        clock: Clock,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        tier: RateTier = STARTER,
        retry: RetryPolicy | None = None,
        serialize_private: bool = True,
        rng: random.Random | None = None,
        user_agent: str = "galfriday",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._credentials = (
            (api_key, api_secret, nonce_source_for(api_key)) if api_key and api_secret else None
        )
        self._clock = clock
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.retry = retry or RetryPolicy()
        self.limiter = RateLimiter(CallCounter(tier, now=self._now), clock.sleep)
        self._private_lock: asyncio.Lock | None = asyncio.Lock() if serialize_private else None
        self._rng = rng or random.Random()
        self._user_agent = user_agent

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"KrakenTransport(base_url={self.base_url!r}, api_key=<{key}>)"

    def _now(self) -> float:
        return self._clock.now().timestamp()

    # --- session ------------------------------------------------------------------------------------

    async def start(self) -> None:
        if self._closed:
            raise ExchangeError("Kraken REST client is closed; create a new one")
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": self._user_agent})

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            await self.start()
        assert self._session is not None
        return self._session

    # --- calls --------------------------------------------------------------------------------------

    async def public(self, method: str, params: Params | None = None, *, retry: bool = True) -> Any:
        """GET `/0/public/<method>`; retried when `retry` (public calls are all reads)."""
        query = f"?{urlencode(params)}" if params else ""
        url = f"{self.base_url}/0/public/{method}{query}"
        return await self._maybe_retrying(method, retry, lambda: self._send(method, "GET", url, None, {}))

    async def private(
        self, method: str, params: Params = (), *, retry: bool, order_id: str | None = None
    ) -> Any:
        """POST `/0/private/<method>`, signed. Set `retry` only for calls that are safe to repeat."""
        return await self._maybe_retrying(method, retry, lambda: self._private_once(method, params, order_id))

    async def _maybe_retrying(self, method: str, retry: bool, call: Callable[[], Awaitable[Any]]) -> Any:
        attempts = self.retry.attempts if retry else 1
        for attempt in range(attempts):
            try:
                return await call()
            except ExchangeError as exc:
                delay = self._retry_delay(exc, attempt) if attempt + 1 < attempts else None
                if delay is None:
                    raise
                log.info(
                    "Kraken %s: %s; retry %d of %d in %.2fs",
                    method,
                    type(exc).__name__,
                    attempt + 1,
                    attempts - 1,
                    delay,
                )
                await self._clock.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, exc: ExchangeError, attempt: int) -> float | None:
        if not is_retryable(exc):
            return None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= self.retry.max_retry_after else None
        return self.retry.delay(attempt, self._rng)

    async def _private_once(self, method: str, params: Params, order_id: str | None) -> Any:
        if self._credentials is None:
            raise AuthenticationError(f"Kraken {method}: no API key and secret configured for private calls")
        await self.limiter.acquire(method)
        if self._private_lock is None:
            return await self._signed(method, params, order_id, self._credentials)
        async with self._private_lock:
            return await self._signed(method, params, order_id, self._credentials)

    async def _signed(
        self, method: str, params: Params, order_id: str | None, credentials: _Credentials
    ) -> Any:
        api_key, api_secret, nonces = credentials
        path = f"/0/private/{method}"
        items = list(params.items()) if isinstance(params, Mapping) else list(params)
        nonce = nonces.next()
        body = urlencode([("nonce", str(nonce)), *items])
        headers = {
            "API-Key": api_key.reveal(),
            "API-Sign": sign(path, body, nonce, api_secret),
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        return await self._send(method, "POST", self.base_url + path, body.encode(), headers, order_id)

    async def _send(
        self,
        method: str,
        http_method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        order_id: str | None = None,
    ) -> Any:
        session = await self._http()
        started = time.perf_counter()
        try:
            async with session.request(
                http_method, url, data=body, headers=dict(headers), timeout=self._timeout
            ) as response:
                status = response.status
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("Kraken %s: no answer (%s)", method, type(exc).__name__)
            raise transport_error(method, exc) from None
        log.debug("Kraken %s: HTTP %d in %.3fs", method, status, time.perf_counter() - started)
        if status != 200:
            raise http_status_error(method, status)
        try:
            payload = json.loads(text, parse_float=Decimal)
        except ValueError:
            raise OutcomeUnknownError(f"Kraken {method}: the answer is not JSON; outcome unknown") from None
        try:
            return check_envelope(method, payload, order_id=order_id, now=self._now())
        except RateLimitedError:
            self.limiter.counter.saturate()
            raise

"""`Notifier` that POSTs each alert as JSON to a webhook, with a timeout and bounded retries.

The webhook URL usually carries a token (in its path or query), so it is a secret: the repr shows only its scheme
and host, and no error or log line ever includes it. A 2xx answer delivers the alert. 408, 425, 429 and 5xx
answers, connection errors and timeouts are retried with exponential backoff (a 429's `Retry-After` is
honoured, capped); any other answer is a refusal and is not retried. When delivery fails, `notify` raises
`WebhookDeliveryError` so the caller can escalate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp

from galfriday.domain.alerts import Alert
from galfriday.errors import ConfigurationError, GalfridayError

RETRYABLE: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER: Final = 30.0
"""Seconds: a longer Retry-After is capped, so an alert storm cannot park the caller for minutes."""


class WebhookDeliveryError(GalfridayError):
    """The webhook did not take the alert. Carries the last HTTP status (None: no answer) and the attempts."""

    def __init__(self, status: int | None, reason: str, attempts: int) -> None:
        self.status = status
        self.reason = reason
        self.attempts = attempts
        answer = "no answer" if status is None else f"HTTP {status}"
        super().__init__(f"webhook refused the alert after {attempts} attempt(s): {answer} ({reason})")


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON body: every field of the alert, the instant in ISO 8601 UTC, tags as an object."""
    return {
        "source": "galfriday",
        "severity": alert.severity.value,
        "title": alert.title,
        "body": alert.body,
        "occurred_at": alert.occurred_at.isoformat(),
        "tags": dict(alert.tags),
    }


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/********"


class WebhookNotifier:
    """Posts alerts to one URL. `headers` (an Authorization header, say) are secrets too: never shown."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("notifier webhook url", url, "an http(s) URL", secret=True)
        if not isinstance(attempts, int) or attempts < 1:
            raise ConfigurationError("notifier.settings.attempts", attempts, "a whole number, at least 1")
        if not timeout > 0 or backoff < 0:
            raise ConfigurationError(
                "notifier.settings.timeout_seconds/backoff_seconds",
                (timeout, backoff),
                "timeout > 0, backoff >= 0",
            )
        self._url = url
        self._headers = dict(headers or {})
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"WebhookNotifier(url='{_redacted(self._url)}', attempts={self._attempts})"

    __str__ = __repr__

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def notify(self, alert: Alert) -> None:
        """Deliver `alert`, retrying what is worth retrying; `WebhookDeliveryError` when it cannot."""
        await self.start()
        assert self._session is not None
        payload = alert_payload(alert)
        status: int | None = None
        reason = ""
        for attempt in range(1, self._attempts + 1):
            delay = self._backoff * 2 ** (attempt - 1)
            try:
                async with self._session.post(self._url, json=payload, headers=self._headers) as response:
                    status, reason = response.status, response.reason or ""
                    if 200 <= status < 300:
                        return
                    if status not in RETRYABLE:
                        raise WebhookDeliveryError(status, reason, attempt)
                    delay = max(delay, _retry_after(response.headers.get("Retry-After")))
            except (aiohttp.ClientError, TimeoutError) as exc:
                # The exception's text may name the URL: keep only its type.
                status, reason = None, type(exc).__name__
            if attempt < self._attempts:
                await self._sleep(delay)
        raise WebhookDeliveryError(status, reason, self._attempts)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else 0.0
    except ValueError:
        return 0.0

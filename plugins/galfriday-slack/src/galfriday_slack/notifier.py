"""`Notifier` that posts to a Slack incoming webhook, retrying only what Slack says is worth retrying."""

from __future__ import annotations

import asyncio
from typing import Final

import aiohttp

from galfriday.domain.alerts import Alert
from galfriday.errors import GalfridayError
from galfriday_slack.message import slack_payload

RETRYABLE: Final = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER: Final = 30.0
"""Seconds: a longer Retry-After is capped, so an alert storm cannot park the caller for minutes."""


class SlackDeliveryError(GalfridayError):
    """Slack did not accept the alert; `status` and `reason` are Slack's answer (never the webhook URL)."""

    def __init__(self, status: int | None, reason: str, attempts: int) -> None:
        super().__init__(f"Slack refused the alert after {attempts} attempt(s): {status} {reason}")
        self.status = status
        self.reason = reason
        self.attempts = attempts


class SlackNotifier:
    """Posts each alert to one webhook. The URL carries a token, so it never appears in a repr or an error."""

    def __init__(
        self, webhook_url: str, *, attempts: int = 3, backoff: float = 0.5, timeout: float = 10.0
    ) -> None:
        if not webhook_url.startswith(("https://", "http://")):
            raise GalfridayError("the Slack webhook URL must be an http(s) URL (value withheld: it is a secret)")
        if attempts < 1:
            raise GalfridayError(f"attempts must be at least 1, got {attempts}")
        self._url = webhook_url
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"SlackNotifier(webhook_url='********', attempts={self._attempts})"

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def notify(self, alert: Alert) -> None:
        await self.start()
        assert self._session is not None
        payload = slack_payload(alert)
        status: int | None = None
        reason = ""
        for attempt in range(1, self._attempts + 1):
            delay = self._backoff * 2 ** (attempt - 1)
            try:
                async with self._session.post(self._url, json=payload) as response:
                    status, reason = response.status, (await response.text()).strip()[:200]
                    if status == 200:
                        return
                    if status not in RETRYABLE:
                        raise SlackDeliveryError(status, reason, attempt)
                    delay = max(delay, _retry_after(response.headers.get("Retry-After")))
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, reason = None, type(exc).__name__
            if attempt < self._attempts:
                await asyncio.sleep(delay)
        raise SlackDeliveryError(status, reason, self._attempts)


def _retry_after(value: str | None) -> float:
    try:
        return min(float(value), MAX_RETRY_AFTER) if value else 0.0
    except ValueError:
        return 0.0

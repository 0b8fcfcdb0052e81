"""Registers the `webhook` notifier. The URL is a secret: from `GALFRIDAY_WEBHOOK_URL` or a file, never the TOML.

    [notifier]
    adapter = "webhook"
    [notifier.settings]
    url_file = "/run/secrets/alert-webhook"   # or set GALFRIDAY_WEBHOOK_URL
    timeout_seconds = 10
    attempts = 3
    backoff_seconds = 0.5

`GALFRIDAY_WEBHOOK_TOKEN`, if set, is sent as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from galfriday.adapters.webhook.notifier import WebhookNotifier
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

URL_VARIABLE = "GALFRIDAY_WEBHOOK_URL"
TOKEN_VARIABLE = "GALFRIDAY_WEBHOOK_TOKEN"


def webhook_url(settings: Mapping[str, Any], environ: Mapping[str, str]) -> str:
    url = environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    if "url" in settings:
        raise ConfigurationError(
            "notifier.settings.url",
            settings["url"],
            f"no URL in the file: set {URL_VARIABLE} or url_file",
            secret=True,
        )
    path = settings.get("url_file")
    if path:
        try:
            return Path(str(path)).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                "notifier.settings.url_file", str(path), f"a readable file ({exc.strerror})"
            ) from None
    raise ConfigurationError(
        "notifier.settings.url_file",
        None,
        f"the webhook URL in {URL_VARIABLE} or in a file named by url_file",
    )


def _number(settings: Mapping[str, Any], key: str, default: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"notifier.settings.{key}", value, "a number")
    return float(value)


def make_webhook_notifier(ctx: AdapterContext, environ: Mapping[str, str] | None = None) -> WebhookNotifier:
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_VARIABLE, "").strip()
    attempts = ctx.settings.get("attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int):
        raise ConfigurationError("notifier.settings.attempts", attempts, "a whole number, at least 1")
    return WebhookNotifier(
        webhook_url(ctx.settings, env),
        timeout=_number(ctx.settings, "timeout_seconds", 10.0),
        attempts=attempts,
        backoff=_number(ctx.settings, "backoff_seconds", 0.5),
        headers={"Authorization": f"Bearer {token}"} if token else None,
    )


@hookimpl
def galfriday_register_notifiers(register: RegisterAdapter) -> None:
    register("webhook", make_webhook_notifier)

"""Registers the `slack` notifier. The webhook URL is a secret: it comes from the environment or a file."""

from __future__ import annotations

import os
from pathlib import Path

from galfriday import hookimpl
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter
from galfriday_slack.notifier import SlackNotifier

URL_VARIABLE = "GALFRIDAY_SLACK_WEBHOOK_URL"


def webhook_url(ctx: AdapterContext) -> str:
    """From `GALFRIDAY_SLACK_WEBHOOK_URL`, else the file named by `[notifier.settings] webhook_url_file`."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    path = ctx.settings.get("webhook_url_file")
    if path:
        return Path(str(path)).expanduser().read_text(encoding="utf-8").strip()
    raise ConfigurationError(
        "notifier.settings.webhook_url_file",
        None,
        f"the Slack webhook URL in {URL_VARIABLE} or in a file named by webhook_url_file",
    )


def make_slack_notifier(ctx: AdapterContext) -> SlackNotifier:
    return SlackNotifier(
        webhook_url(ctx),
        attempts=int(ctx.settings.get("attempts", 3)),
        backoff=float(ctx.settings.get("backoff_seconds", 0.5)),
        timeout=float(ctx.settings.get("timeout_seconds", 10.0)),
    )


@hookimpl
def galfriday_register_notifiers(register: RegisterAdapter) -> None:
    register("slack", make_slack_notifier)

"""An alert as a Slack message: a plain-text fallback plus Block Kit blocks, escaped as Slack requires."""

from __future__ import annotations

from typing import Any, Final

from galfriday.domain.alerts import Alert, Severity

MARKS: Final[dict[Severity, str]] = {
    Severity.INFO: ":information_source:",
    Severity.WARNING: ":warning:",
    Severity.CRITICAL: ":rotating_light:",
}
SECTION_LIMIT: Final = 3000
"""Slack refuses a section text longer than this many characters."""


def escape(text: str) -> str:
    """Slack's mrkdwn control characters, escaped so an alert body cannot mention @channel or inject links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = SECTION_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The JSON body for `chat.postMessage`-style incoming webhooks."""
    mark = MARKS.get(alert.severity, ":grey_question:")
    title = escape(alert.title)
    fallback = f"[{alert.severity.value}] {alert.title}: {alert.body}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"{mark} *{title}*")}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(escape(alert.body) or " ")}},
    ]
    context = [f"*{alert.severity.value}*", alert.occurred_at.isoformat()]
    context += [f"{escape(key)}: {escape(value)}" for key, value in alert.tags]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(" · ".join(context))}]})
    return {"text": _clip(fallback), "blocks": blocks}

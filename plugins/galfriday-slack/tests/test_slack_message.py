"""How an alert reads in Slack."""

from datetime import UTC, datetime

from galfriday_slack.message import SECTION_LIMIT, slack_payload

from galfriday.domain.alerts import Alert, Severity

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_the_fallback_text_carries_severity_title_and_body() -> None:
    payload = slack_payload(Alert(Severity.CRITICAL, "Drift", "BTC off by 0.5", AT))

    assert payload["text"] == "[critical] Drift: BTC off by 0.5"


def test_the_blocks_show_the_severity_mark_the_title_the_body_and_the_tags() -> None:
    payload = slack_payload(Alert(Severity.WARNING, "Drift", "body", AT, tags=(("asset", "BTC"),)))

    title, body, context = payload["blocks"]
    assert title["text"]["text"] == ":warning: *Drift*"
    assert body["text"]["text"] == "body"
    assert context["elements"][0]["text"] == "*warning* · 2026-01-02T03:04:05+00:00 · asset: BTC"


def test_control_characters_are_escaped_so_a_body_cannot_ping_everyone() -> None:
    payload = slack_payload(Alert(Severity.INFO, "a & b", "<!channel> <http://x|y>", AT))

    assert payload["blocks"][0]["text"]["text"].endswith("*a &amp; b*")
    assert payload["blocks"][1]["text"]["text"] == "&lt;!channel&gt; &lt;http://x|y&gt;"


def test_a_long_body_is_clipped_to_what_slack_accepts() -> None:
    payload = slack_payload(Alert(Severity.INFO, "t", "x" * 10_000, AT))

    assert len(payload["blocks"][1]["text"]["text"]) == SECTION_LIMIT
    assert len(payload["text"]) == SECTION_LIMIT

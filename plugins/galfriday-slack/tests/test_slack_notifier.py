"""SlackNotifier against a loopback webhook that answers as Slack does."""

from datetime import UTC, datetime

import pytest
from galfriday_slack import SlackDeliveryError, SlackNotifier
from galfriday_slack.message import slack_payload
from slack_fake import TOKEN_PATH, fake_slack

from galfriday.domain.alerts import Alert, Severity

ALERT = Alert(Severity.CRITICAL, "Reconciliation", "BTC balance differs by 0.5", datetime(2026, 1, 1, tzinfo=UTC))


async def test_an_alert_is_posted_once_as_its_slack_payload() -> None:
    async with fake_slack() as slack:
        notifier = SlackNotifier(slack.url)
        await notifier.notify(ALERT)
        await notifier.close()

    assert slack.received == [slack_payload(ALERT)]


async def test_rate_limiting_is_retried_after_the_delay_slack_asks_for() -> None:
    async with fake_slack() as slack:
        slack.answer(429, "rate_limited", {"Retry-After": "0.01"})
        notifier = SlackNotifier(slack.url, attempts=2, backoff=0.001)
        await notifier.notify(ALERT)
        await notifier.close()

    assert len(slack.received) == 2


async def test_a_server_error_is_retried_up_to_the_attempt_limit_then_raises() -> None:
    async with fake_slack() as slack:
        for _ in range(3):
            slack.answer(503, "service_unavailable")
        notifier = SlackNotifier(slack.url, attempts=3, backoff=0.001)
        with pytest.raises(SlackDeliveryError) as refused:
            await notifier.notify(ALERT)
        await notifier.close()

    assert (refused.value.status, refused.value.attempts) == (503, 3)
    assert len(slack.received) == 3


async def test_a_refused_payload_is_not_retried() -> None:
    async with fake_slack() as slack:
        slack.answer(400, "invalid_payload")
        notifier = SlackNotifier(slack.url, attempts=3, backoff=0.001)
        with pytest.raises(SlackDeliveryError) as refused:
            await notifier.notify(ALERT)
        await notifier.close()

    assert (refused.value.status, refused.value.reason) == (400, "invalid_payload")
    assert len(slack.received) == 1


async def test_an_unreachable_webhook_raises_after_its_attempts() -> None:
    notifier = SlackNotifier("http://127.0.0.1:9/services/x", attempts=2, backoff=0.001, timeout=1.0)
    with pytest.raises(SlackDeliveryError) as refused:
        await notifier.notify(ALERT)
    await notifier.close()

    assert refused.value.status is None


async def test_the_webhook_token_never_appears_in_a_repr_or_an_error() -> None:
    async with fake_slack() as slack:
        slack.answer(403, "invalid_token")
        notifier = SlackNotifier(slack.url, attempts=1)
        with pytest.raises(SlackDeliveryError) as refused:
            await notifier.notify(ALERT)
        await notifier.close()

    secret = TOKEN_PATH.rsplit("/", 1)[-1]
    assert secret not in repr(notifier)
    assert secret not in str(refused.value)

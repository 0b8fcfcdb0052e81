"""The `Notifier` contract: what every notifier (log, memory, webhook, a plugin's) must honour.

Subclass `NotifierContract` and provide three fixtures:

- `notifier`: a fresh notifier (started, if it has a lifecycle);
- `delivered`: an async callable returning what has been delivered so far, oldest first, as `Alert`s rebuilt
  from what the destination received (a log record, a recorded list, an HTTP body);
- `break_delivery`: a callable that makes every later delivery fail, or None for a notifier that by design
  never fails (the log notifier: the notifier of last resort);

and, optionally, `secrets`: strings (a URL token, say) that must never appear in a repr or an error::

    class TestMyNotifier(NotifierContract):
        @pytest.fixture
        def notifier(self): ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest

from galfriday.domain.alerts import Alert, Severity
from galfriday.errors import GalfridayError
from galfriday.ports.notifier import Notifier

Delivered = Callable[[], Awaitable[Sequence[Alert]]]
AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def an_alert(
    title: str = "reconciliation: 2 discrepancies need review",
    severity: Severity = Severity.WARNING,
    body: str = "BTC total: we hold 1, the exchange reports 1.1",
    tags: tuple[tuple[str, str], ...] = (("run_id", "r-1"), ("kind", "scheduled")),
) -> Alert:
    return Alert(severity=severity, title=title, body=body, occurred_at=AT, tags=tags)


class NotifierContract:
    @pytest.fixture
    def secrets(self) -> Sequence[str]:
        return ()

    async def test_an_alert_is_delivered_with_its_severity_title_body_time_and_tags(
        self, notifier: Notifier, delivered: Delivered
    ) -> None:
        await notifier.notify(an_alert())
        assert list(await delivered()) == [an_alert()]

    @pytest.mark.parametrize("severity", list(Severity))
    async def test_every_severity_is_delivered(
        self, notifier: Notifier, delivered: Delivered, severity: Severity
    ) -> None:
        await notifier.notify(an_alert(severity=severity))
        assert [a.severity for a in await delivered()] == [severity]

    async def test_alerts_sent_one_after_another_arrive_in_that_order(
        self, notifier: Notifier, delivered: Delivered
    ) -> None:
        for n in range(3):
            await notifier.notify(an_alert(title=f"alert {n}"))
        assert [a.title for a in await delivered()] == ["alert 0", "alert 1", "alert 2"]

    async def test_concurrent_alerts_are_all_delivered(
        self, notifier: Notifier, delivered: Delivered
    ) -> None:
        await asyncio.gather(*(notifier.notify(an_alert(title=f"alert {n}")) for n in range(10)))
        assert sorted(a.title for a in await delivered()) == sorted(f"alert {n}" for n in range(10))

    async def test_text_beyond_ascii_and_a_long_body_arrive_intact(
        self, notifier: Notifier, delivered: Delivered
    ) -> None:
        alert = an_alert(title="Ünïcode ✓ — 比特币", body="x" * 10_000 + " ✓", tags=())
        await notifier.notify(alert)
        assert list(await delivered()) == [alert]

    async def test_a_failed_delivery_raises_a_galfriday_error(
        self, notifier: Notifier, break_delivery: Callable[[], None] | None, secrets: Sequence[str]
    ) -> None:
        if break_delivery is None:
            pytest.skip("this notifier never fails by design")
        break_delivery()
        with pytest.raises(GalfridayError) as raised:
            await notifier.notify(an_alert())
        for secret in secrets:
            assert secret not in str(raised.value)

    def test_the_repr_shows_no_secret(self, notifier: Notifier, secrets: Sequence[str]) -> None:
        for secret in secrets:
            assert secret not in repr(notifier)
            assert secret not in str(notifier)

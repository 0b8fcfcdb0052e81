"""MemoryNotifier records and can fail on demand; LogNotifier logs by severity and never raises."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from galfriday.adapters.log.notifier import LogNotifier
from galfriday.adapters.memory.notifier import MemoryNotifier, NotificationFailedError
from galfriday.domain.alerts import Alert, Severity
from galfriday.errors import GalfridayError

LOGGER = "galfriday.alerts.test"


def alert(severity: Severity = Severity.WARNING, title: str = "stream stale") -> Alert:
    return Alert(
        severity=severity,
        title=title,
        body="no heartbeat for 30s",
        occurred_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        tags=(("exchange", "kraken"), ("stream", "executions")),
    )


async def test_memory_notifier_records_alerts_in_order() -> None:
    notifier = MemoryNotifier()
    first, second = alert(title="first"), alert(title="second")
    await notifier.notify(first)
    await notifier.notify(second)
    assert notifier.alerts == [first, second]


async def test_memory_notifier_fails_the_next_calls_when_told_to() -> None:
    notifier = MemoryNotifier(fail_next=1)
    with pytest.raises(NotificationFailedError) as raised:
        await notifier.notify(alert())
    assert isinstance(raised.value, GalfridayError)
    assert raised.value.alert == alert()


async def test_memory_notifier_does_not_record_a_failed_alert() -> None:
    notifier = MemoryNotifier(fail_next=1)
    with pytest.raises(NotificationFailedError):
        await notifier.notify(alert())
    assert notifier.alerts == []


async def test_memory_notifier_delivers_again_once_the_failures_are_used_up() -> None:
    notifier = MemoryNotifier()
    notifier.fail_next = 2
    for _ in range(2):
        with pytest.raises(NotificationFailedError):
            await notifier.notify(alert())
    await notifier.notify(alert())
    assert notifier.alerts == [alert()]


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.INFO, logging.INFO),
        (Severity.WARNING, logging.WARNING),
        (Severity.CRITICAL, logging.CRITICAL),
    ],
)
async def test_log_notifier_logs_at_the_level_of_the_severity(
    caplog: pytest.LogCaptureFixture, severity: Severity, level: int
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    await LogNotifier(logger_name=LOGGER).notify(alert(severity))
    [record] = caplog.records
    assert record.name == LOGGER
    assert record.levelno == level


async def test_log_notifier_message_reads_severity_title_and_body(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    await LogNotifier(logger_name=LOGGER).notify(alert())
    assert caplog.records[0].getMessage() == "[warning] stream stale: no heartbeat for 30s"


async def test_log_notifier_record_carries_the_alert_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    await LogNotifier(logger_name=LOGGER).notify(alert())
    record = caplog.records[0].__dict__
    assert record["title"] == "stream stale"
    assert record["body"] == "no heartbeat for 30s"
    assert record["tags"] == {"exchange": "kraken", "stream": "executions"}
    assert record["severity"] == "warning"
    assert record["occurred_at"] == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_log_notifier_uses_the_galfriday_alerts_logger_by_default() -> None:
    assert LogNotifier().logger.name == "galfriday.alerts"


async def test_log_notifier_never_raises_even_when_logging_fails(capsys: pytest.CaptureFixture[str]) -> None:
    class Exploding(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            raise RuntimeError("handler down")

    notifier = LogNotifier(logger_name=LOGGER + ".exploding")
    notifier.logger.addFilter(Exploding())
    await notifier.notify(alert())
    assert "could not log alert" in capsys.readouterr().err

"""The memory and log notifiers honour the notifier contract (the webhook one: tests/integration)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import pytest

from galfriday.adapters.log.notifier import LogNotifier
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.domain.alerts import Alert
from galfriday.testing.notifier_contract import Delivered, NotifierContract

LOGGER = "galfriday.alerts.contract"


class TestMemoryNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self) -> MemoryNotifier:
        return MemoryNotifier()

    @pytest.fixture
    def delivered(self, notifier: MemoryNotifier) -> Delivered:
        async def alerts() -> Sequence[Alert]:
            return list(notifier.alerts)

        return alerts

    @pytest.fixture
    def break_delivery(self, notifier: MemoryNotifier) -> Callable[[], None]:
        def fail() -> None:
            notifier.fail_next = 1_000

        return fail


class TestLogNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self, caplog: pytest.LogCaptureFixture) -> LogNotifier:
        caplog.set_level(logging.DEBUG, logger=LOGGER)
        return LogNotifier(logger_name=LOGGER)

    @pytest.fixture
    def delivered(self, caplog: pytest.LogCaptureFixture) -> Delivered:
        async def alerts() -> Sequence[Alert]:
            return [
                Alert(
                    severity=record.severity,
                    title=record.title,
                    body=record.body,
                    occurred_at=record.occurred_at,
                    tags=tuple(record.tags.items()),
                )
                for record in caplog.records
                if record.name == LOGGER
            ]

        return alerts

    @pytest.fixture
    def break_delivery(self) -> None:
        return None  # the notifier of last resort never raises

"""Reconciliation as a supervised component: the start-up run, then a run every `[reconciliation]
interval_seconds`, and a run after every reconnect or gap once stream recovery has backfilled it.

Runs never overlap (the service serialises them) and never block order intake: the intake only asks for a run
(`after_recovery`), this component performs it. Each run's discrepancies are counted by kind in
`galfriday_discrepancies_total`, and its status in `galfriday_job_runs_total{job="reconciliation"}`.
An operator asks for a run now through `run_now` (the runtime's `POST /reconcile`): a clean run lifts a review
halt without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from galfriday.domain.reconciliation_audit import RunKind
from galfriday.errors import GalfridayError
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.services.reconciliation import ReconciliationReport, ReconciliationService

log = logging.getLogger(__name__)


class ReconciliationBusyError(GalfridayError):
    """A run was asked for while another run of this process is under way (ask again when it has ended)."""


class ReconciliationStoppingError(GalfridayError):
    """A run was asked for while the process is stopping."""


class ReconciliationLoop:
    """The `reconciliation` component."""

    name = "reconciliation"

    def __init__(
        self,
        service: ReconciliationService,
        *,
        metrics: RuntimeMetrics,
        ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """`ready` is awaited before the start-up run (the runtime passes: stream recovery's first backfill)."""
        self._service = service
        self._ready = ready
        self._metrics = metrics
        self._interval = service.settings.interval_seconds
        self._started = False
        self._recovery_requested = False
        self._recovery_since: datetime | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._busy = False
        self.reports: list[ReconciliationReport] = []
        """The runs of this process, oldest first (the last 100)."""

    def after_recovery(self, since: datetime | None) -> None:
        """Ask for a run covering the loss that began at `since` (None: unknown, the service's checkpoint).

        Requests made before the run starts merge into one, from the earliest known `since`.
        """
        if since is not None and (self._recovery_since is None or since < self._recovery_since):
            self._recovery_since = since
        self._recovery_requested = True
        self._wake.set()

    def request_run(self) -> None:
        """Run as soon as the current run (if any) ends, instead of waiting for the schedule."""
        self._wake.set()

    @property
    def busy(self) -> bool:
        """Whether a run of this component is under way."""
        return self._busy

    async def run_now(self) -> ReconciliationReport:
        """A manual run now, recorded like the others; refused while one runs or while stopping."""
        if self._stopping.is_set():
            raise ReconciliationStoppingError("the process is stopping; no reconciliation is started")
        if self._busy:
            raise ReconciliationBusyError("a reconciliation run is under way; ask again when it has ended")
        return await self._perform(RunKind.MANUAL)

    async def run(self) -> None:
        if self._stopping.is_set():
            return
        if not self._started:
            if not await self._until_ready():
                return
            self._busy = True
            try:
                self._record(await self._service.start())
            finally:
                self._busy = False
            self._started = True
        while not self._stopping.is_set():
            await self._sleep()
            if self._stopping.is_set():
                return
            if self._recovery_requested:
                since, self._recovery_requested, self._recovery_since = self._recovery_since, False, None
                await self._perform(RunKind.RECONNECT, since=since)
            else:
                await self._perform(RunKind.SCHEDULED)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _perform(self, kind: RunKind, *, since: datetime | None = None) -> ReconciliationReport:
        self._busy = True
        try:
            report = await self._service.run(kind, since=since)
        finally:
            self._busy = False
        self._record(report)
        return report

    async def _until_ready(self) -> bool:
        """Wait for `ready`, unless asked to stop first; whether to go on."""
        if self._ready is None:
            return True
        ready = asyncio.ensure_future(self._ready())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({ready, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (ready, stopping):
                task.cancel()
        return not self._stopping.is_set()

    async def _sleep(self) -> None:
        if self._recovery_requested:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._interval)

    def _record(self, report: ReconciliationReport) -> None:
        self.reports = [*self.reports[-99:], report]
        self._metrics.job_runs.labels(self.name, report.status.value).inc()
        for outcome in report.outcomes:
            self._metrics.discrepancies.labels(outcome.decision.discrepancy.kind.value).inc()
        log.info(
            "reconciliation (%s) %s: %d discrepancies, %d corrected, %d for review",
            report.kind.value,
            report.status.value,
            len(report.outcomes),
            len(report.corrected),
            len(report.manual_review),
        )

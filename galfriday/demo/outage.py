"""A disconnect: the simulator drops every WebSocket and refuses new ones for a while; fills made meanwhile are
seen by nobody's stream, so only stream recovery's REST backfill can bring them in. Recovery is measured by
what the runtime itself reports: its metrics, stream recovery's backfill reports and reconciliation's runs.
"""

from __future__ import annotations

from attrs import frozen

from galfriday.demo.session import DemoSession, until
from galfriday.demo.trading import store_has_every_fill
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.services.reconciliation import ReconciliationReport
from galfriday.services.stream_recovery import RecoveryReport

REFUSE_SECONDS = 2.5
"""Longer than the demo's `recovery_poll_seconds` (1 s), so the first REST poll runs while the stream is still
down: the missed fills arrive by REST, not in the snapshot of the reconnected stream, every run."""


@frozen
class Recovery:
    """What the runtime did about one outage."""

    reconnects: float
    gaps_backfilled: float
    backfills: tuple[RecoveryReport, ...]
    reconciliation: ReconciliationReport
    seconds: float
    """From the end of the outage's trading until everything above was done."""

    @property
    def fills_recovered(self) -> int:
        """Fills the backfills found missing and applied."""
        return sum(report.executions_new for report in self.backfills)

    @property
    def duplicates_ignored(self) -> int:
        """Fills the backfills read again although they were already stored: applied once, not twice."""
        return sum(report.executions_seen - report.executions_new for report in self.backfills)


def metric(session: DemoSession, name: str) -> float:
    return session.runtime.metrics.registry.get_sample_value(name) or 0.0


async def disconnect(session: DemoSession) -> int:
    """Drop every connection and refuse handshakes for `REFUSE_SECONDS`; how many connections were dropped."""
    chaos = session.simulator.chaos
    chaos.refuse_connections(REFUSE_SECONDS)
    dropped = chaos.drop_connections()

    async def noticed() -> bool:
        return not session.app.exchange.health().healthy

    await until(noticed, "the stream notices it is disconnected")
    return dropped


async def recovered(session: DemoSession, *, backfills_before: int, runs_before: int) -> Recovery:
    """Wait until the stream is back, the store holds every fill again and the reconnect reconciliation ran."""
    runtime = session.runtime

    async def done() -> bool:
        return (
            session.app.exchange.health().healthy
            and runtime.recovery.gate.is_open
            and metric(session, "galfriday_gaps_backfilled_total") >= 1
            and any(r.kind is RunKind.RECONNECT for r in runtime.reconciliation.reports[runs_before:])
            and await store_has_every_fill(session)
        )

    seconds = await until(
        done,
        "the stream reconnects, a backfill applies the missed fills and the reconnect reconciliation runs",
    )
    reconnect_runs = [r for r in runtime.reconciliation.reports[runs_before:] if r.kind is RunKind.RECONNECT]
    return Recovery(
        reconnects=metric(session, "galfriday_stream_reconnects_total"),
        gaps_backfilled=metric(session, "galfriday_gaps_backfilled_total"),
        backfills=tuple(runtime.recovery.reports[backfills_before:]),
        reconciliation=reconnect_runs[-1],
        seconds=seconds,
    )

"""`Runtime`: what `galfriday run` keeps running on a started `App`, and `serve`, the whole process lifetime.

Components, in start order:
- `journal` (with the Kraken stream, unless `[runtime] journal = false`): every raw frame into the store's
  journal, for `galfriday replay`; stopped last, its close writes what is queued;
- `stream-recovery`: a REST backfill at start, after every reconnect or gap, and account polling while the
  stream is down; it halts new orders on the trading gate until caught up;
- `prediction-log`: writes the predictions served through `Runtime.predictions` in batches (flushed at
  shutdown) and meters their latency;
- `deadman`: the exchange's cancel-all-after timer, armed while orders are live;
- `reconciliation`: at start once the first backfill is done, every `[reconciliation] interval_seconds`, and
  after every reconnect or gap;
- periodic jobs: `retention` every `[retention] every_seconds`; `model-checks` (one step of the automated
  model pipeline per watched model: canary, shadow, or the retraining policy over drift, degradation and age)
  every `[runtime] model_check_seconds` when `[runtime] models` names any;
- components the embedding application adds;
- `order-intake`: stream events -> `StreamRecovery.apply` -> `OrderTracker`; the stream is subscribed before
  anything starts, so nothing is missed in between.

Shutdown, within `[runtime] shutdown_timeout_seconds`: mark `/health` as stopping, stop intake first (no new
events taken from the stream) and apply every accepted event, then the other components in reverse (a running
job finishes), stop the HTTP endpoint, then close the adapters in reverse start order (the bus drains, the store
waits for its unit in progress, connections close). An armed dead-man's switch stays armed on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from galfriday.adapters.sql.monitoring import QueryMonitor
from galfriday.app import App
from galfriday.config import Config
from galfriday.domain.alerts import Alert, Severity
from galfriday.domain.events import ExchangeEvent
from galfriday.domain.model_stages import PRODUCTION
from galfriday.ports.exchange import ExchangeStream
from galfriday.reconcile_command import reconciliation_service
from galfriday.runtime.backoff import Backoff
from galfriday.runtime.component import Component
from galfriday.runtime.health import HealthCheck
from galfriday.runtime.http import HttpEndpoint
from galfriday.runtime.intake import OrderIntake
from galfriday.runtime.journal import attach_journal
from galfriday.runtime.metrics import RuntimeMetrics
from galfriday.runtime.model_checks import ModelChecks, model_pipeline
from galfriday.runtime.order_entry import OrderEntry
from galfriday.runtime.periodic import PeriodicJob
from galfriday.runtime.prediction_metrics import MeteredPredictionLog
from galfriday.runtime.production_following import ProductionFollower
from galfriday.runtime.query_metrics import QueryLatencyCollector
from galfriday.runtime.reconciliation_loop import ReconciliationLoop
from galfriday.runtime.service_component import ServiceComponent
from galfriday.runtime.shutdown import ShutdownReport
from galfriday.runtime.supervisor import Supervisor
from galfriday.services.deadman import DeadMansSwitch
from galfriday.services.journal_writer import JournalWriter
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.order_tracking import OrderTracker
from galfriday.services.prediction import PredictionService
from galfriday.services.retention import RetentionService
from galfriday.services.stream_recovery import RecoveryReport, StreamRecovery
from galfriday.services.trading_gate import TradingGate

__all__ = ["Runtime", "ShutdownReport", "serve"]

log = logging.getLogger(__name__)

FIRST_BACKFILL_WAIT_SECONDS = 30.0
SETTLE_WAIT_SECONDS = 10.0
"""How long reconciliation waits for the order intake to apply what it received before reading the store."""
MAX_ERROR_TEXT = 300
"""Characters of a crash's error message an alert carries (the log has the whole traceback)."""


class Runtime:
    """The supervised components, the metrics and the HTTP endpoint over one started `App`."""

    def __init__(
        self,
        app: App,
        *,
        metrics: RuntimeMetrics | None = None,
        extra_components: Sequence[Component] = (),
        journal: JournalWriter | None = None,
    ) -> None:
        """`journal` is the writer `attach_journal` hooked into the exchange stream before the app started."""
        config = app.config
        self.app = app
        self.metrics = metrics or RuntimeMetrics()
        exchange = app.exchange
        stream: ExchangeStream = exchange
        self.tracker = OrderTracker(app.store, app.event_bus)
        self.trading_gate = TradingGate()
        """One gate for new orders: stream recovery holds it (key `stream`) while catching up, reconciliation
        halts it while discrepancies await review."""
        self.recovery = StreamRecovery(
            exchange,
            stream,
            self.tracker,
            app.store,
            app.clock,
            gate=self.trading_gate,
            poll_interval=config.runtime.recovery_poll_seconds,
        )
        self.intake = OrderIntake(
            stream,
            self.recovery.apply,
            metrics=self.metrics,
            queue_size=config.runtime.intake_queue_size,
            observers=[self._observe_stream],
            on_reject=self._event_rejected,
        )
        deadman_timeout = config.runtime.deadman_timeout_seconds
        self.deadman = DeadMansSwitch(
            exchange, app.store, app.clock, timeout=max(1, deadman_timeout), enabled=deadman_timeout > 0
        )
        self._first_backfill_done = asyncio.Event()
        self.orders = OrderEntry(
            exchange,
            self.tracker,
            gate=self.trading_gate,
            deadman=self.deadman,
        )
        """Order placement for components the embedding application adds: gates, switch, record, send."""
        self.reconciliation = ReconciliationLoop(
            reconciliation_service(app, self.trading_gate, settle=self._intake_drained),
            metrics=self.metrics,
            ready=self._first_backfill,
        )
        self.prediction_log = MeteredPredictionLog(app.store, app.clock, metrics=self.metrics)
        self.predictions = PredictionService(app.model_runtime, self.prediction_log, app.clock)
        """Predictions for components the embedding application adds (strategies); logged and metered."""
        retention = RetentionService(app.store, app.archive, app.clock, config.retention.policies)
        self.retention = PeriodicJob(
            "retention", config.retention.every_seconds, retention.run, metrics=self.metrics
        )
        jobs = [self.retention]
        self.model_checks: ModelChecks | None = None
        self.model_registry: ModelRegistry | None = None
        self.production: ProductionFollower | None = None
        """Serves a production alias moved by another process (with watched models)."""
        if config.runtime.model_names():
            pipeline, self.model_registry = model_pipeline(
                app, self.predictions, self.prediction_log, self.metrics
            )
            self.production = ProductionFollower(self.model_registry, self.predictions)
            self.model_checks = ModelChecks(pipeline, config.runtime.model_names(), follower=self.production)
            jobs.append(
                PeriodicJob(
                    "model-checks",
                    config.runtime.model_check_seconds,
                    self.model_checks,
                    metrics=self.metrics,
                    first_delay_seconds=0,
                )
            )
        self.journal = journal
        first: list[Component] = []
        if journal is not None:  # started first, stopped last: it writes what the stream gave until the end
            first.append(ServiceComponent("journal", journal.start, journal.close))
            self.metrics.track_journal(
                lambda: journal.written, lambda: journal.dropped, lambda: journal.pending
            )
        self.supervisor = Supervisor(
            [
                *first,
                ServiceComponent("stream-recovery", self._start_recovery, self.recovery.close),
                ServiceComponent("prediction-log", self.prediction_log.start, self.prediction_log.close),
                ServiceComponent("deadman", self.deadman.start, self.deadman.close),
                self.reconciliation,
                *jobs,
                *extra_components,
                self.intake,
            ],
            backoff=Backoff(config.runtime.restart_initial_seconds, config.runtime.restart_max_seconds),
            metrics=self.metrics,
            on_crash=self._alert_crash,
        )
        monitor = getattr(app.store, "monitor", None)
        if isinstance(monitor, QueryMonitor):
            self.metrics.registry.register(QueryLatencyCollector(monitor))
        self.metrics.track_stream_health(lambda: stream.health().healthy)
        self.metrics.track_orders_held(lambda: not self.trading_gate.is_open)
        self._stopping = False
        self.health = HealthCheck(
            stream,
            app.store,
            self.supervisor.states,
            stopping=lambda: self._stopping,
            order_gate=lambda: self.trading_gate.reasons,
        )
        self.http = HttpEndpoint(
            self.health,
            self.metrics,
            host=config.runtime.http_host,
            port=config.runtime.http_port,
            reconcile=self.reconciliation.run_now,
            stopping=lambda: self._stopping,
        )

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def _serve_production_models(self) -> None:
        """Serve each watched model's production version through `predictions` from the start (after a
        restart the pipeline has promoted nothing yet in this process). A model that cannot be loaded is logged
        and left unserved; the runtime starts anyway."""
        if self.model_registry is None:
            return
        for name in self.app.config.runtime.model_names():
            try:
                version = (await self.model_registry.aliases(name)).get(PRODUCTION)
                if version is not None:
                    self.predictions.serve(await self.model_registry.load(name, version))
                    if self.production is not None:
                        self.production.served(name, version)
                    log.info("serving %s v%d (production)", name, version)
            except Exception:
                log.exception("could not load the production version of %s; it is not served", name)

    async def _alert_crash(self, name: str, crashes: int, error: BaseException | None) -> None:
        """Tell a human through the notifier: a warning at the first crash, critical as a streak goes on."""
        what = (
            "returned while the runtime was running" if error is None else f"{type(error).__name__}: {error}"
        )
        streak = f" ({crashes} crashes in a row)" if crashes > 1 else ""
        await self.app.notifier.notify(
            Alert(
                severity=Severity.WARNING if crashes == 1 else Severity.CRITICAL,
                title=f"galfriday component {name} crashed{streak}",
                body=f"{what[:MAX_ERROR_TEXT]}; it is restarted with backoff. See the log for the traceback.",
                occurred_at=self.app.clock.now(),
                tags=(("component", name), ("crashes", str(crashes))),
            )
        )

    async def _event_rejected(self, event: ExchangeEvent, error: Exception) -> None:
        """A stream event the domain refused was skipped: reconcile now, and tell a human."""
        self.reconciliation.request_run()
        await self.app.notifier.notify(
            Alert(
                severity=Severity.CRITICAL,
                title=f"galfriday skipped a {event.topic} event it could not apply",
                body=f"{type(error).__name__}: {str(error)[:MAX_ERROR_TEXT]}. A reconciliation runs now; the raw "
                "frame is in the journal.",
                occurred_at=self.app.clock.now(),
                tags=(("topic", event.topic), ("error", type(error).__name__)),
            )
        )

    async def _start_recovery(self) -> None:
        await self.recovery.start(consume=False)  # returns once the start-up backfill is done
        self._first_backfill_done.set()


    async def _observe_stream(self, event: ExchangeEvent) -> None:
        """Let stream recovery act on the event; after each backfill it made for a reconnect or a gap, count it
        and ask for a reconciliation over the same loss."""
        latest = self.recovery.reports[-1] if self.recovery.reports else None
        await self.recovery.observe(event)
        for report in _reports_after(self.recovery.reports, latest):
            if report.reason in ("reconnect", "gap"):
                self.metrics.gaps_backfilled.inc()
                self.reconciliation.after_recovery(report.since)

    async def _first_backfill(self) -> None:
        """Until stream recovery's start-up backfill is done (at most `FIRST_BACKFILL_WAIT_SECONDS`), so the
        start-up reconciliation does not report fills the backfill is about to apply."""
        try:
            await asyncio.wait_for(self._first_backfill_done.wait(), FIRST_BACKFILL_WAIT_SECONDS)
        except TimeoutError:
            log.warning("no start-up backfill after %.0f s; reconciling anyway", FIRST_BACKFILL_WAIT_SECONDS)

    async def _intake_drained(self) -> None:
        """Reconciliation's barrier: the store holds every event the intake had received (at most
        `SETTLE_WAIT_SECONDS`; a stalled intake is left to the confirming second look)."""
        if not await self.intake.drained(SETTLE_WAIT_SECONDS):
            log.warning(
                "order intake still %d events behind after %.0f s; reconciling anyway",
                self.intake.backlog,
                SETTLE_WAIT_SECONDS,
            )

    async def start(self) -> None:
        """Serve HTTP first (so start-up is observable), then start the components in order."""
        await self.http.start()
        await self._serve_production_models()
        self.intake.open()
        self.supervisor.start()
        log.info("runtime started: %s", ", ".join(c.name for c in self.supervisor.components))

    async def stop(self, timeout_seconds: float) -> ShutdownReport:
        """Stop the components and the HTTP endpoint; the caller closes the app's adapters after."""
        started = time.monotonic()
        self._stopping = True
        cancelled = await self.supervisor.stop(timeout_seconds)
        await self.http.close()
        return ShutdownReport(
            accepted=self.intake.accepted,
            applied=self.intake.applied,
            backlog=self.intake.backlog,
            cancelled=tuple(cancelled),
            seconds=time.monotonic() - started,
            applied_by_topic=dict(self.intake.applied_by_topic),
            rejected=self.intake.rejected,
        )


def _reports_after(reports: list[RecoveryReport], latest: RecoveryReport | None) -> list[RecoveryReport]:
    """The reports appended after `latest` (the list keeps only the last 100, so count back from the end)."""
    newer: list[RecoveryReport] = []
    for report in reversed(reports):
        if report is latest:
            break
        newer.append(report)
    return newer[::-1]


async def serve(
    config: Config,
    stop: asyncio.Event,
    *,
    overrides: dict[str, Any] | None = None,
    extra_plugins: Iterable[tuple[str, Any]] = (),
    started: asyncio.Event | None = None,
) -> ShutdownReport:
    """Start the app and the runtime, run until `stop` is set, shut down within the configured timeout.

    `started` (if given) is set once the runtime serves; embedding applications and tests wait on it.
    """
    timeout = config.runtime.shutdown_timeout_seconds
    app = App.from_config(config, overrides=overrides, extra_plugins=extra_plugins)
    journal = attach_journal(app)
    await app.__aenter__()
    try:
        runtime = Runtime(app, journal=journal)
        await runtime.start()
    except BaseException:
        await app.__aexit__(None, None, None)
        raise
    if started is not None:
        started.set()
    await stop.wait()
    began = time.monotonic()
    report = await runtime.stop(timeout)
    remaining = max(0.0, timeout - (time.monotonic() - began))
    closed = True
    try:
        await asyncio.wait_for(app.__aexit__(None, None, None), remaining)
    except TimeoutError:
        log.error("closing the adapters took longer than the %.1f s shutdown timeout", timeout)
        closed = False
    report = attrs.evolve(report, seconds=time.monotonic() - began, adapters_closed=closed)
    (log.info if report.clean else log.error)("%s", report.summary())
    return report

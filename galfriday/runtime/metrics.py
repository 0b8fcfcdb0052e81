"""The runtime's Prometheus metrics, in a registry of their own (not the process-global one), so every
`Runtime` (and every test) counts from zero.

Names follow Prometheus conventions: `_total` counters, `_seconds` histograms, labels for the few dimensions
an operator filters by.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format `exposition()` writes (metric names already Prometheus-safe), understood by every
Prometheus server."""

PREDICTION_BUCKETS_SECONDS: tuple[float, ...] = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
)


class RuntimeMetrics:
    """Counters, gauges and histograms the runtime's components update, and the text `/metrics` serves."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_processed = Counter(
            "galfriday_messages_processed",
            "Exchange stream events applied by order intake, by event topic.",
            ["kind"],
            registry=r,
        )
        self.events_rejected = Counter(
            "galfriday_events_rejected",
            "Stream events the domain refused (applying them again could not succeed), by event topic.",
            ["kind"],
            registry=r,
        )
        self.reconnects = Counter(
            "galfriday_stream_reconnects", "Exchange stream reconnections reported by the stream.", registry=r
        )
        self.gaps_detected = Counter(
            "galfriday_stream_gaps",
            "Sequence gaps the exchange stream reported (updates may be missing).",
            registry=r,
        )
        self.gaps_backfilled = Counter(
            "galfriday_gaps_backfilled",
            "Stream losses (reconnects or gaps) repaired by a REST backfill.",
            registry=r,
        )
        self.discrepancies = Counter(
            "galfriday_discrepancies",
            "Differences reconciliation found between our records and the exchange, by kind.",
            ["kind"],
            registry=r,
        )
        self.prediction_latency = Histogram(
            "galfriday_prediction_latency_seconds",
            "Time to score one prediction request, by model.",
            ["model"],
            buckets=PREDICTION_BUCKETS_SECONDS,
            registry=r,
        )
        self.retrain_decisions = Counter(
            "galfriday_retrain_decisions",
            "Scheduled model checks, by model and decision (retrain: a new version was registered; hold).",
            ["model", "decision"],
            registry=r,
        )
        self.retrain_triggers = Counter(
            "galfriday_retrain_triggers",
            "Retraining triggers present at a model check (drift, degradation, model_age, no_model, ...).",
            ["model", "trigger"],
            registry=r,
        )
        self.component_restarts = Counter(
            "galfriday_component_restarts",
            "Supervised components restarted after a crash or an unexpected exit.",
            ["component"],
            registry=r,
        )
        self.job_runs = Counter(
            "galfriday_job_runs", "Periodic job runs, by job and outcome.", ["job", "outcome"], registry=r
        )
        self.intake_queue_depth = Gauge(
            "galfriday_intake_queue_depth",
            "Events accepted from the stream and not yet applied (intake lag).",
            registry=r,
        )
        self.stream_healthy = Gauge(
            "galfriday_stream_healthy", "1 while the exchange stream reports itself healthy.", registry=r
        )
        self.orders_held = Gauge(
            "galfriday_orders_held",
            "1 while new orders are held back (stream recovery catching up, or reconciliation halting trading).",
            registry=r,
        )

    def track_journal(
        self, written: Callable[[], int], dropped: Callable[[], int], pending: Callable[[], int]
    ) -> None:
        """Gauges over the journal writer's own counts (read at scrape time)."""
        for name, help_text, read in (
            ("galfriday_journal_frames_written", "Raw exchange frames written to the journal.", written),
            ("galfriday_journal_frames_dropped", "Raw exchange frames the journal had to drop.", dropped),
            ("galfriday_journal_frames_pending", "Raw exchange frames queued for the journal.", pending),
        ):
            Gauge(name, help_text, registry=self.registry).set_function(_as_float(read))

    def track_queue_depth(self, depth: Callable[[], int]) -> None:
        self.intake_queue_depth.set_function(lambda: float(depth()))

    def track_orders_held(self, held: Callable[[], bool]) -> None:
        self.orders_held.set_function(lambda: 1.0 if held() else 0.0)

    def track_stream_health(self, healthy: Callable[[], bool]) -> None:
        self.stream_healthy.set_function(lambda: 1.0 if healthy() else 0.0)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (version 0.0.4)."""
        return generate_latest(self.registry)


def _as_float(read: Callable[[], int]) -> Callable[[], float]:
    return lambda: float(read())
